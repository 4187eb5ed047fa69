-- Limits against bots (issue 15): what an entry must bring. Additive; rows of earlier sales
-- read as the API's defaults (no work, no grant).
ALTER TABLE events
    ADD COLUMN entry_work_bits integer NOT NULL DEFAULT 0
        CHECK (entry_work_bits BETWEEN 0 AND 28),
    ADD COLUMN entry_grant_required boolean NOT NULL DEFAULT false;
