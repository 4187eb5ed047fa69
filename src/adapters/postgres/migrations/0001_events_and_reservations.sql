-- Events (sales) and reservations: the durable record the consumer worker writes.
-- Bounds mirror SPEC section 4 so that nothing the API would refuse can be stored.

CREATE TABLE events (
    event_id                  text        PRIMARY KEY
                                          CHECK (event_id ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$'),
    name                      text        NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    total_seats               integer     NOT NULL CHECK (total_seats BETWEEN 1 AND 10000000),
    max_per_user              integer     NOT NULL CHECK (max_per_user BETWEEN 1 AND 100),
    opens_at                  timestamptz NOT NULL,
    admission_rate_per_second integer     NOT NULL CHECK (admission_rate_per_second BETWEEN 1 AND 100000),
    max_active_users          integer     NOT NULL CHECK (max_active_users BETWEEN 1 AND 1000000),
    admission_ttl_seconds     integer     NOT NULL CHECK (admission_ttl_seconds BETWEEN 1 AND 86400),
    hold_ttl_seconds          integer     NOT NULL CHECK (hold_ttl_seconds BETWEEN 1 AND 86400),
    created_at                timestamptz NOT NULL DEFAULT now()
);

-- One row per reservation: the primary key makes a second insert of the same reservation
-- impossible, so a message delivered twice can only update the row it already made.
CREATE TABLE reservations (
    reservation_id  text        PRIMARY KEY,
    event_id        text        NOT NULL REFERENCES events (event_id),
    user_id         text        NOT NULL CHECK (user_id ~ '^[A-Za-z0-9_.:@-]{1,128}$'),
    quantity        integer     NOT NULL CHECK (quantity > 0),
    status          text        NOT NULL
                                CHECK (status IN ('PENDING', 'CONFIRMED', 'CANCELLED', 'EXPIRED')),
    created_at      timestamptz NOT NULL,
    expires_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    -- The message that last changed the row: tells which change an operator is looking at.
    last_message_id text        NOT NULL
);

-- Reconcile and per-event reads group an event's reservations by status.
CREATE INDEX reservations_event_status ON reservations (event_id, status);
