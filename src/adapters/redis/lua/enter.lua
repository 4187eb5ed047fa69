-- A user enters the waiting room (SaleState.enter): idempotent while they wait or are
-- admitted; otherwise a new place at the back, numbered by the event's sequence. A waiting
-- user is seen (present) now. Until a presale closes, a new place takes one use of an access
-- code, counted (and recorded in the outbox) in the same step; after it, none is taken.
-- KEYS: stock, seq, places, waiting, active, seen, codes, code_of, outbox
-- ARGV: user, now (ms), opens_at (ms), presale ('' without one, 'code' while a new place
--       needs a code, 'over' after), the code's digest ('' for none)
-- Returns the view (lib.lua). Refuses: event_not_found, sale_closed, sold_out, code_required,
-- invalid_code.
local user, now, opens_at, presale, digest =
  ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4], ARGV[5]

-- SaleState._use_code: the code a new place comes by, or a refusal before anything changes.
local function use_code()
  if presale ~= 'code' then
    if digest ~= '' then
      return refuse('invalid_code', 'no presale takes codes now: enter without one')
    end
    if presale == 'over' then
      redis.call('HDEL', K.code_of, user)
    end
    return nil
  end
  if digest == '' then
    return refuse('code_required', 'the presale takes entries with an access code only')
  end
  local code = read_code(digest)
  if not code or code.uses >= code.max_uses then
    return refuse('invalid_code', 'the access code is unknown or used up')
  end
  code.uses = code.uses + 1
  write_code(digest, code)
  redis.call('HSET', K.code_of, user, digest)
  redis.call('XADD', K.outbox, '*', 'code', cjson.encode({ type = 'code.used', digest = digest,
    userId = user, use = int(code.uses), occurredAt = int(now) })) -- as text: cjson rounds
  return nil
end

if sale_state() == 'CLOSED' then
  return refuse('sale_closed', 'the sale is closed')
end
if sold_out() then
  return refuse('sold_out', 'every seat is sold')
end
local place = current_place(user, now)
if not place or (place.status ~= 'WAITING' and place.status ~= 'ADMITTED') then
  local refused = use_code()
  if refused then
    return refused
  end
  place = { seq = redis.call('INCR', K.seq), status = 'WAITING', expires = 0 }
  write_place(user, place)
  redis.call('ZADD', K.waiting, place.seq, user)
  local phase = redis.call('HGET', K.stock, 'draw')
  if now < opens_at and (phase == false or phase == 'pending') then
    -- The last entry before the opening: a draw takes the waiting up to it. Once a draw has
    -- begun (by another instance's clock) no entry joins it.
    redis.call('HSET', K.stock, 'last_preopen_seq', place.seq)
  end
end
if place.status == 'WAITING' then
  see(user, now)
end
return view(user, place, now)
