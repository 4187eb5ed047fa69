-- A presale's access codes (issue 16), kept as their digests only, and each entry a code let
-- in (one row per use message: a message delivered twice is kept once). New tables: nothing
-- existing is touched.
CREATE TABLE access_codes (
    event_id   text        NOT NULL REFERENCES events (event_id) ON DELETE CASCADE,
    digest     text        NOT NULL CHECK (digest ~ '^[0-9a-f]{64}$'),
    issued     bigint      GENERATED ALWAYS AS IDENTITY,
    max_uses   integer     NOT NULL CHECK (max_uses BETWEEN 1 AND 1000000),
    categories jsonb       CHECK (categories IS NULL OR jsonb_typeof(categories) = 'array'),
    issued_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (event_id, digest)
);

CREATE TABLE access_code_uses (
    message_id text        PRIMARY KEY,
    event_id   text        NOT NULL,
    digest     text        NOT NULL,
    user_id    text        NOT NULL,
    use        integer     NOT NULL CHECK (use >= 1),
    used_at    timestamptz NOT NULL,
    FOREIGN KEY (event_id, digest) REFERENCES access_codes (event_id, digest) ON DELETE CASCADE
);
CREATE INDEX access_code_uses_of_a_code ON access_code_uses (event_id, digest);
