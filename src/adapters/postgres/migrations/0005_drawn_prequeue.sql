-- The drawn pre-queue (issue 14): whether the sale draws its pre-queue at the opening, its
-- seed and the commitment published at creation, and the drawn order as recorded, in parts.
-- Additive: earlier sales read as not drawn.
ALTER TABLE events
    ADD COLUMN draw_at_opening boolean NOT NULL DEFAULT false,
    ADD COLUMN draw_seed       text CHECK (draw_seed ~ '^[0-9a-f]{64}$'),
    ADD COLUMN draw_commitment text CHECK (draw_commitment ~ '^[0-9a-f]{64}$'),
    ADD CONSTRAINT a_draw_has_its_seed CHECK (NOT draw_at_opening OR draw_seed IS NOT NULL);

CREATE TABLE draws (
    event_id       text        NOT NULL REFERENCES events (event_id) ON DELETE CASCADE,
    part           integer     NOT NULL CHECK (part >= 1),
    parts          integer     NOT NULL CHECK (parts >= part),
    first_position integer     NOT NULL CHECK (first_position >= 1),
    users          text[]      NOT NULL,
    occurred_at    timestamptz NOT NULL,
    message_id     text        NOT NULL,
    recorded_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (event_id, part)
);
