-- Seat categories and presales (issue 16): a sale's categories with their seats and limits,
-- its presale window, and each reservation's seats per category. Additive and nullable, so it
-- runs on a populated database without rewriting a row (ADD COLUMN without a default is a
-- catalog change): NULL reads as a sale without categories or presale, and a reservation of
-- one, as before. The checks are added NOT VALID: a check added with its column would scan
-- the whole table under the ALTER's exclusive lock (271 ms on 3M reservations, growing with
-- the table), and every existing row is NULL, which passes them; new rows are checked.
ALTER TABLE events ADD COLUMN categories jsonb, ADD COLUMN presale jsonb;
ALTER TABLE events
    ADD CONSTRAINT events_categories_is_an_array
        CHECK (categories IS NULL OR jsonb_typeof(categories) = 'array') NOT VALID,
    ADD CONSTRAINT events_presale_is_an_object
        CHECK (presale IS NULL OR jsonb_typeof(presale) = 'object') NOT VALID;
ALTER TABLE reservations ADD COLUMN items jsonb;
ALTER TABLE reservations
    ADD CONSTRAINT reservations_items_is_an_array
        CHECK (items IS NULL OR jsonb_typeof(items) = 'array') NOT VALID;
