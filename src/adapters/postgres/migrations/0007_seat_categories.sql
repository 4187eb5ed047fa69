-- Seat categories (issue 16): a sale's categories with their seats and limits, and each
-- reservation's seats per category. Additive and nullable, so it runs on a populated database
-- without rewriting a row (ADD COLUMN without a default is a catalog change in PostgreSQL):
-- NULL reads as a sale without categories, and a reservation of one, as before.
ALTER TABLE events ADD COLUMN categories jsonb
    CHECK (categories IS NULL OR jsonb_typeof(categories) = 'array');
ALTER TABLE reservations ADD COLUMN items jsonb
    CHECK (items IS NULL OR jsonb_typeof(items) = 'array');
