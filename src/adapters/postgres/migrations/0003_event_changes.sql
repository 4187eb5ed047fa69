-- Operators change a running sale (issue 14): the events row follows the newest change, and
-- every change is kept, once per version, as the sale's audit record. Additive only: existing
-- rows read as an open sale that was never changed.
ALTER TABLE events
    ADD COLUMN state   text    NOT NULL DEFAULT 'OPEN' CHECK (state IN ('OPEN', 'PAUSED', 'CLOSED')),
    ADD COLUMN version integer NOT NULL DEFAULT 0 CHECK (version >= 0);

CREATE TABLE event_changes (
    event_id    text        NOT NULL REFERENCES events (event_id) ON DELETE CASCADE,
    version     integer     NOT NULL CHECK (version >= 1),
    kind        text        NOT NULL CHECK (kind IN ('settings', 'pause', 'resume', 'close', 'seats')),
    -- What was asked: the settings named and their new values, {"delta": n} for seats.
    detail      jsonb       NOT NULL,
    -- Who asked: the name an operator gave (X-Operator) and the admin key's id.
    actor       text        NOT NULL CHECK (char_length(actor) BETWEEN 1 AND 200),
    occurred_at timestamptz NOT NULL,
    -- The settings after the change, whole: what the sale was from this version on.
    settings    jsonb       NOT NULL,
    message_id  text        NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (event_id, version)
);
