-- llmq schema, version 4: a job can be born terminal. The api answers a cache hit at submit by
-- inserting the job already 'succeeded'; the V3 trigger fires only on an UPDATE of status, so a
-- job with a webhook_url that starts terminal gets its delivery from this one, in the same
-- transaction as the insert, just as a job that ends later does.
CREATE TRIGGER jobs_webhook_on_terminal_insert
    AFTER INSERT ON jobs
    FOR EACH ROW
    WHEN (NEW.webhook_url IS NOT NULL
          AND NEW.status IN ('succeeded', 'failed', 'cancelled', 'expired'))
    EXECUTE FUNCTION llmq_webhook_on_end();
