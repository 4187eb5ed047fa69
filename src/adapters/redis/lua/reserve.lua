-- Takes seats for an admitted user (SaleState.reserve), all or nothing, and records the hold
-- and its reservation.created message in the same step. In this order: an answer already given
-- for the user's idempotency key within the window; the sale not closed; the admission; the
-- per-user limit of the sale, then of each category asked for; the seats of each category (or
-- of the sale, without categories). It touches only the categories asked for.
-- KEYS: stock, places, active, reservations, holds, held, answers, outbox, code_of, codes
-- ARGV: user, quantity, new reservation id, now (ms), idempotency window (ms), max per user,
--       hold TTL (ms), presale (1: the sale has one, so a code may limit the categories; 0),
--       n items (0 in a sale without categories), then n (category, seats, the category's max
--       per user), [idempotency key]
-- Returns {id, record}. Refuses: event_not_found, sale_closed, not_admitted, limit_exceeded, sold_out,
-- insufficient_seats.
local user, quantity, id, now, window, max_per_user, hold_ttl, presale, n =
  ARGV[1], tonumber(ARGV[2]), ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5]),
  tonumber(ARGV[6]), tonumber(ARGV[7]), ARGV[8], tonumber(ARGV[9])
local items, asked = {}, {}
for j = 1, n do
  local at = 9 + 3 * (j - 1)
  items[j] = { category = ARGV[at + 1], seats = tonumber(ARGV[at + 2]), max = tonumber(ARGV[at + 3]) }
  asked[j] = ARGV[at + 1] .. ':' .. ARGV[at + 2]
end
local key = ARGV[10 + 3 * n]

-- (user, key) as one field, the user's length first so that no two pairs can collide.
local answer_field = key and (int(#user) .. ':' .. user .. key)
if answer_field then
  local answered = redis.call('HGET', K.answers, answer_field)
  local first = answered and read_reservation(answered)
  if first and now - first.created < window then
    -- The answer as it was given: the reservation as it was made.
    first.status = 'PENDING'
    first.updated = first.created
    return { first.id, encode_reservation(first) }
  end
end

if sale_state() == 'CLOSED' then
  return refuse('sale_closed', 'the sale is closed')
end
local place = current_place(user, now)
local held = tonumber(redis.call('HGET', K.held, user) or '0')
if not place or place.status ~= 'ADMITTED' then
  if place and place.status == 'COMPLETED' and held >= max_per_user then
    return refuse('limit_exceeded', 'you already hold ' .. held .. ' of ' .. max_per_user)
  end
  return refuse('not_admitted', 'wait for your turn in the queue')
end
if presale == '1' then
  -- SaleState._check_code_unlocks: a code that names categories lets its buyers hold those.
  local digest = redis.call('HGET', K.code_of, user)
  local code = digest and read_code(digest)
  if code and code.categories ~= '' then
    local unlocked = {}
    for category in string.gmatch(code.categories, '[^,]+') do
      unlocked[category] = true
    end
    for _, item in ipairs(items) do
      if not unlocked[item.category] then
        return refuse('invalid_code', 'your access code unlocks '
          .. string.gsub(code.categories, ',', ', ') .. ' only')
      end
    end
  end
end
if held + quantity > max_per_user then
  return refuse('limit_exceeded', held .. ' held + ' .. quantity .. ' asked > limit ' .. max_per_user)
end
for _, item in ipairs(items) do
  local held_of = tonumber(redis.call('HGET', K.held, held_field(item.category, user)) or '0')
  if held_of + item.seats > item.max then
    return refuse('limit_exceeded', item.category .. ': ' .. int(held_of) .. ' held + '
      .. int(item.seats) .. ' asked > limit ' .. int(item.max))
  end
end
for _, item in ipairs(items) do
  local left = tonumber(redis.call('HGET', K.stock, category_field('remaining', item.category)))
  if left == 0 then
    return refuse('sold_out', item.category .. ': no seat of it is left right now')
  end
  if left < item.seats then
    return refuse('insufficient_seats', item.category .. ': only ' .. int(left) .. ' left')
  end
end
local remaining = tonumber(redis.call('HGET', K.stock, 'remaining'))
if remaining == 0 then
  return refuse('sold_out', 'no seat is left right now')
end
if remaining < quantity then
  return refuse('insufficient_seats', 'only ' .. remaining .. ' left')
end

local r = {
  id = id,
  user = user,
  quantity = quantity,
  status = 'PENDING',
  created = now,
  expires = now + hold_ttl,
  updated = now,
  items = table.concat(asked, ','),
}
redis.call('HINCRBY', K.stock, 'remaining', -quantity)
redis.call('HINCRBY', K.stock, 'pending', quantity)
redis.call('HINCRBY', K.held, user, quantity)
for _, item in ipairs(items) do
  redis.call('HINCRBY', K.stock, category_field('remaining', item.category), -item.seats)
  redis.call('HINCRBY', K.stock, category_field('pending', item.category), item.seats)
  redis.call('HINCRBY', K.held, held_field(item.category, user), item.seats)
end
if held + quantity >= max_per_user then
  -- The user has all they may have: their admission is complete and frees its slot.
  redis.call('ZREM', K.active, user)
  place.status = 'COMPLETED'
  write_place(user, place)
end
redis.call('ZADD', K.holds, r.expires, id)
if answer_field then
  redis.call('HSET', K.answers, answer_field, id)
end
return save_reservation(r)
