-- Presence (issue 14): how long a waiting buyer keeps the place unseen. Additive; rows of
-- earlier sales read as the default of the API.
ALTER TABLE events
    ADD COLUMN presence_timeout_seconds integer NOT NULL DEFAULT 300
        CHECK (presence_timeout_seconds BETWEEN 0 AND 86400);
