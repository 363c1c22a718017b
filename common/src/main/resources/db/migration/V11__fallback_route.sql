-- llmq schema, version 11: fallback chains (SPEC §3 Fallbacks).
-- A job whose transient attempts ran out on its model moves on to the next model of that model's
-- fallback chain. Where it stands in the chain must survive the requeue (and a worker's death), so
-- it is kept here: route_model is the model its attempts go to from now on (NULL: its own model),
-- and route_attempts the attempts granted on top of max_attempts for the models it moved on to
-- (each gets max_attempts of its own). An open circuit or a long 429 pause is not kept: it is
-- decided again at every attempt from the breaker's and the governor's shared state in Redis.
ALTER TABLE jobs
    ADD COLUMN route_model    text,
    ADD COLUMN route_attempts integer NOT NULL DEFAULT 0 CHECK (route_attempts >= 0);
