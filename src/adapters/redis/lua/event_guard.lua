-- Every script but add_event works on an existing event. add_event creates the stock hash
-- together with the settings, so the stock hash existing means the event exists.
if redis.call('EXISTS', K.stock) == 0 then
  return refuse('event_not_found', 'no such event')
end
