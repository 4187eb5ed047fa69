-- Registers an event and puts its seats on sale, in one step.
-- KEYS: settings, stock, bucket, outbox
-- ARGV: settings JSON, total seats, admission rate per second, opens_at (ms), outbox group
-- Returns 1. Refuses: event_exists.
local settings_json, total_seats, rate, opens_at, group = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4], ARGV[5]

if redis.call('EXISTS', K.settings) == 1 then
  return refuse('event_exists', 'an event with this id already exists')
end
redis.call('SET', K.settings, settings_json)
local settings = cjson.decode(settings_json)
redis.call('HSET', K.stock, 'remaining', total_seats, 'pending', 0, 'confirmed', 0,
  'state', settings.state or 'OPEN')
-- Each seat category's own counters (lib.lua); cjson reads an absent list as null.
if type(settings.categories) == 'table' then
  for _, c in ipairs(settings.categories) do
    redis.call('HSET', K.stock, category_field('remaining', c.category_id), int(c.seats),
      category_field('pending', c.category_id), 0, category_field('confirmed', c.category_id), 0)
  end
end
-- A pre-queue to draw at the opening (admit.lua draws it): `draw` goes pending -> done.
if settings.draw_at_opening then
  redis.call('HSET', K.stock, 'draw', 'pending')
end
-- The admission bucket starts full at the opening: a burst of one second's admissions.
redis.call('HSET', K.bucket, 'tokens', int(rate * 1000), 'at', opens_at)
-- The relays read the outbox through this group; `0` so it sees every entry ever written.
redis.call('XGROUP', 'CREATE', K.outbox, group, '0', 'MKSTREAM')
return 1
