-- Helpers shared by the scripts. scripts.py builds every script as: a generated line naming
-- its KEYS (`local K = {stock = KEYS[1], ...}`), this file, event_guard.lua for scripts on an
-- existing event, then the script's own file. So each rule below exists once, and a script
-- only ever touches keys it was given.
--
-- Numbers: Lua numbers are doubles. Every value here (epoch milliseconds, counts, seats,
-- thousandths of an admission) is an integer below 2^53, so the arithmetic is exact; but `..`
-- prints a number with 14 significant digits, so numbers are turned into text with int().

local function int(n)
  return string.format('%d', n)
end

-- A refusal is the error reply "<code> <detail>"; the adapter raises the domain error of that
-- code. Scripts *return* it (raising it with error() would append the script's position), and
-- return it after any writes the rule makes first: a Redis script is never rolled back.
local function refuse(code, detail)
  return redis.error_reply(code .. ' ' .. detail)
end

-- stock -------------------------------------------------------------------------------------

local function stock()
  local v = redis.call('HMGET', K.stock, 'remaining', 'pending', 'confirmed')
  return { remaining = tonumber(v[1]), pending = tonumber(v[2]), confirmed = tonumber(v[3]) }
end

-- Sold out is final only while no hold is pending: a pending hold may still return its seats.
local function sold_out()
  local s = stock()
  return s.remaining == 0 and s.pending == 0
end

-- Where the operator put the sale (OPEN, PAUSED, CLOSED): mirrored from the settings into the
-- stock hash by change_event, so the hot paths read one field. Absent means OPEN.
local function sale_state()
  return redis.call('HGET', K.stock, 'state') or 'OPEN'
end

-- Whether the sale's pre-queue is still to be drawn, or being drawn (admit.lua): `draw` is
-- absent for a sale without one, `done` once drawn.
local function draw_pending()
  local phase = redis.call('HGET', K.stock, 'draw')
  return phase ~= false and phase ~= 'done'
end

-- places in the queue -----------------------------------------------------------------------
-- K.places maps user -> "seq|STATUS|admission_expires_at" (the expiry is 0 while waiting).

local function read_place(user)
  local raw = redis.call('HGET', K.places, user)
  if not raw then
    return nil
  end
  local seq, status, expires = string.match(raw, '^(%d+)|(%u+)|(%d+)$')
  return { seq = tonumber(seq), status = status, expires = tonumber(expires) }
end

local function write_place(user, place)
  redis.call('HSET', K.places, user, int(place.seq) .. '|' .. place.status .. '|' .. int(place.expires))
end

-- The user's place, ending an admission whose time ran out on the way (lazily, as
-- SaleState._current_place does: every script that looks at a place sees the same state, and
-- the next admission tick no longer counts that admission as one it ended).
local function current_place(user, now)
  local place = read_place(user)
  if place and place.status == 'ADMITTED' and place.expires <= now then
    redis.call('ZREM', K.active, user)
    place.status = 'EXPIRED'
    write_place(user, place)
  end
  return place
end

-- Presence: K.seen holds when each waiting user was last seen. One without an entry (who
-- entered before presence was recorded) counts as present.
local function see(user, now)
  redis.call('HSET', K.seen, user, int(now))
end

-- `since`: when the timeout last changed (change_event.lua); nobody is absent for longer
-- than the timeout in force has been, so a timeout turned on or lowered skips nobody at once.
local function absent(user, now, timeout, since)
  local seen = redis.call('HGET', K.seen, user)
  return timeout > 0 and seen ~= false and now - math.max(tonumber(seen), since) > timeout
end

-- Admissions not yet expired at `now` (K.active is scored by admission expiry).
local function active_count(now)
  return redis.call('ZCOUNT', K.active, '(' .. int(now), '+inf')
end

-- What the user sees of their place: {seq, status, position, admission_expires_at or 0,
-- active admissions, paused (0/1), draw pending (0/1)}. The adapter derives the estimated
-- wait from the active admissions and the two flags.
local function view(user, place, now)
  local status, position, expires, drawing = place.status, 0, 0, 0
  local state = sale_state()
  if status == 'WAITING' then
    if state == 'CLOSED' then
      status = 'CLOSED'
    elseif sold_out() then
      status = 'SOLD_OUT'
    elseif draw_pending() then
      drawing = 1
    else
      position = redis.call('ZRANK', K.waiting, user) + 1
    end
  elseif status == 'ADMITTED' then
    expires = place.expires
  end
  return { place.seq, status, position, expires, active_count(now), state == 'PAUSED' and 1 or 0,
    drawing }
end

-- reservations ------------------------------------------------------------------------------
-- K.reservations maps id -> "quantity|STATUS|created_at|expires_at|updated_at|user[|items]"
-- (codec.py reads it), items being "category:seats,..." in a sale with seat categories (a
-- record of a sale without has none, as before there were categories). User ids and category
-- ids hold no `|`, `,` or `:` (their syntax, settings.py), so the record splits unambiguously.

local function encode_reservation(r)
  local record = table.concat({ int(r.quantity), r.status, int(r.created), int(r.expires), int(r.updated), r.user }, '|')
  if r.items ~= '' then
    record = record .. '|' .. r.items
  end
  return record
end

local function read_reservation(id)
  local raw = redis.call('HGET', K.reservations, id)
  if not raw then
    return nil
  end
  local quantity, status, created, expires, updated, user, items =
    string.match(raw, '^(%d+)|(%u+)|(%d+)|(%d+)|(%d+)|([^|]*)|?(.*)$')
  return {
    id = id,
    user = user,
    quantity = tonumber(quantity),
    status = status,
    created = tonumber(created),
    expires = tonumber(expires),
    updated = tonumber(updated),
    items = items,
  }
end

-- Seat categories: the stock hash counts each category's seats in `remaining|<category>`,
-- `pending|<category>` and `confirmed|<category>` beside the sale's totals, and K.held a
-- user's seats of one category in `<category>|<user>` beside their total (`<user>`).
local function category_field(counter, category)
  return counter .. '|' .. category
end

local function held_field(category, user)
  return category .. '|' .. user
end

-- Access codes: K.codes maps a code's digest -> "issued|max_uses|uses|categories" (issued: its
-- number in the order of issue; categories "a,b", or '' for any), codec.py reads it too.
local function read_code(digest)
  local raw = redis.call('HGET', K.codes, digest)
  if not raw then
    return nil
  end
  local issued, max_uses, uses, categories = string.match(raw, '^(%d+)|(%d+)|(%d+)|(.*)$')
  return { issued = tonumber(issued), max_uses = tonumber(max_uses), uses = tonumber(uses),
    categories = categories }
end

local function write_code(digest, code)
  redis.call('HSET', K.codes, digest, int(code.issued) .. '|' .. int(code.max_uses) .. '|'
    .. int(code.uses) .. '|' .. code.categories)
end

-- Calls `f(category, seats)` for each item of a reservation's items text.
local function each_item(items, f)
  for category, seats in string.gmatch(items, '([^,:]+):(%d+)') do
    f(category, tonumber(seats))
  end
end

-- Stores the reservation and records its change in the outbox in the same step, so a change
-- is never made without its message nor announced without being made. Returns {id, record}.
local function save_reservation(r)
  local record = encode_reservation(r)
  redis.call('HSET', K.reservations, r.id, record)
  redis.call('XADD', K.outbox, '*', 'id', r.id, 'reservation', record)
  return { r.id, record }
end

-- The user's reservation, or nil (also for another user's id: it must not be revealed).
local function owned_reservation(id, user)
  local r = read_reservation(id)
  if r and r.user == user then
    return r
  end
  return nil
end

-- Moves a PENDING hold to a terminal status (SaleState._finish): its seats return to sale
-- unless it is confirmed. Returns {id, record}.
local function finish(r, status, now)
  redis.call('ZREM', K.holds, r.id)
  redis.call('HINCRBY', K.stock, 'pending', -r.quantity)
  if status == 'CONFIRMED' then
    redis.call('HINCRBY', K.stock, 'confirmed', r.quantity)
  else
    redis.call('HINCRBY', K.stock, 'remaining', r.quantity)
    if redis.call('HINCRBY', K.held, r.user, -r.quantity) <= 0 then
      redis.call('HDEL', K.held, r.user)
    end
  end
  each_item(r.items, function(category, seats)
    redis.call('HINCRBY', K.stock, category_field('pending', category), -seats)
    if status == 'CONFIRMED' then
      redis.call('HINCRBY', K.stock, category_field('confirmed', category), seats)
    else
      redis.call('HINCRBY', K.stock, category_field('remaining', category), seats)
      local field = held_field(category, r.user)
      if redis.call('HINCRBY', K.held, field, -seats) <= 0 then
        redis.call('HDEL', K.held, field)
      end
    end
  end)
  r.status = status
  r.updated = now
  return save_reservation(r)
end

local function lapsed(r, now)
  return r.status == 'PENDING' and r.expires <= now
end
