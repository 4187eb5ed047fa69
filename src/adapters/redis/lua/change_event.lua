-- An operator's change of a running sale (SaleChange.applied_to), in one step with the stock:
-- the settings JSON and the stock hash's mirror of the state (`state`, read by the scripts of
-- the hot paths) change together, seats move `remaining` with `total_seats`, and a change that
-- changed something is recorded in the outbox (EventChangeMessage) in the same step.
-- KEYS: settings, stock, outbox
-- ARGV: kind (settings, pause, resume, close, seats), changed settings as a JSON object (for
--       settings), seats delta (for seats), most seats a sale may have, what was asked as a
--       JSON object, who asked, now (ms), the seat category (for seats; '' for none)
-- Returns the settings JSON after the change. Refuses: event_not_found, sale_closed,
-- insufficient_seats, validation_error.
local kind, changed, delta, max_total = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local asked, actor, now, category_id = ARGV[5], ARGV[6], ARGV[7], ARGV[8]
local state_after = { pause = 'PAUSED', resume = 'OPEN', close = 'CLOSED' }

local raw = redis.call('GET', K.settings)
local settings = cjson.decode(raw)
local state = settings.state or 'OPEN'
if state == 'CLOSED' then
  if kind == 'close' then
    return raw
  end
  return refuse('sale_closed', 'the sale is closed; nothing of it changes any more')
end
local fields = cjson.decode(changed)
if (kind == 'settings' and next(fields) == nil) or (kind == 'seats' and delta == 0) then
  return raw
end
if kind == 'settings' then
  local presence_before = settings.presence_timeout_seconds
  for name, value in pairs(fields) do
    settings[name] = value
  end
  if settings.presence_timeout_seconds ~= presence_before then
    -- A new timeout counts from now (admit.lua's `absent`): it skips nobody at once.
    redis.call('HSET', K.stock, 'presence_since', now)
  end
elseif kind == 'seats' then
  -- SaleChange.check_category: one of the sale's categories if it has any, none if not.
  local category, field = nil, 'remaining'
  if type(settings.categories) == 'table' then
    for _, c in ipairs(settings.categories) do
      if c.category_id == category_id then
        category, field = c, category_field('remaining', category_id)
      end
    end
    if not category then
      return refuse('validation_error', "category: name one of the sale's categories")
    end
  elseif category_id ~= '' then
    return refuse('validation_error', 'category: this sale has no categories')
  end
  local remaining = tonumber(redis.call('HGET', K.stock, field))
  if -delta > remaining then
    return refuse('insufficient_seats', 'only ' .. int(remaining) .. ' seats are unsold')
  end
  local total = settings.total_seats + delta
  if total < 1 or total > max_total then
    return refuse('validation_error', 'a sale has 1..' .. int(max_total) .. ' seats, not ' .. int(total))
  end
  settings.total_seats = total
  redis.call('HINCRBY', K.stock, 'remaining', delta)
  if category then
    category.seats = category.seats + delta
    redis.call('HINCRBY', K.stock, field, delta)
  end
else
  if state_after[kind] == state then
    return raw
  end
  settings.state = state_after[kind]
  redis.call('HSET', K.stock, 'state', settings.state)
end
settings.version = (settings.version or 0) + 1
local encoded = cjson.encode(settings)
redis.call('SET', K.settings, encoded)
-- Concatenated rather than encoded: cjson would round `now` to 14 significant digits.
-- The record carries the settings without a draw's seed: it stays secret until the opening.
settings.draw_seed = nil
redis.call('XADD', K.outbox, '*', 'change', '{"kind":' .. cjson.encode(kind) .. ',"detail":'
  .. asked .. ',"actor":' .. cjson.encode(actor) .. ',"occurredAt":' .. now
  .. ',"settings":' .. cjson.encode(settings) .. '}')
return encoded
