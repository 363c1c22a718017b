-- What a job answered from the cache would have cost had it called the provider: the price of the
-- cached answer's usage at the job's model. Summed per tenant, it is the cost the cache saved.
ALTER TABLE jobs ADD COLUMN cost_saved_usd numeric(18, 10);
