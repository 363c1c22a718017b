package io.llmq.api.job;

import io.llmq.common.job.JobRow;
import io.llmq.common.job.JobStatus;
import io.llmq.common.messaging.OutboxRelay;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * Group commit of the plain submits (no {@code Idempotency-Key}, not answered from the cache): the
 * submits that arrive while {@link #IN_FLIGHT} statements are running are written together, job
 * rows and outbox rows, by one multi-row statement ({@code INSERT … SELECT FROM unnest(…)} inside
 * the outbox's data-modifying CTE, atomic on its own), so under load a submit costs PostgreSQL a
 * share of one statement and one commit instead of its own, and the api a share of one round trip.
 * A lone submit goes at once, with the single-row statement: batching adds no wait when the api is
 * quiet, only the queueing that load brings anyway.
 *
 * <p>Each caller's future completes only after the statement holding its row has committed, so a
 * 202 still means the job and its outbox row are durable. A batch whose statement fails falls back
 * to one statement per row, so one row that cannot be stored never fails the others (each caller
 * gets its own row's outcome). A submit with an {@code Idempotency-Key} never comes here: it keeps
 * its transaction, which frees an expired key before claiming it.
 *
 * <p>The statement runs on the context of whichever caller started it; each caller's result is
 * handed back on its own Vert.x context, so its request goes on where it started.
 */
final class GroupCommit {

  /** Statements in flight at once; more submits than that wait and go together in the next. */
  static final int IN_FLIGHT = 2;

  /** Most rows in one statement. */
  static final int MAX_BATCH = 128;

  private static final String INSERT_MANY =
      "INSERT INTO jobs (id, tenant_id, status, model, request, cache_mode, metadata, webhook_url,"
          + " deadline_at, max_attempts, idempotency_hash, created_at, key_id, priority,"
          + " guardrails, trace_context) SELECT t.id, t.tenant_id, "
          + JobStatus.QUEUED.sql()
          + ", t.model, t.request::jsonb, t.cache_mode, t.metadata::jsonb, t.webhook_url,"
          + " now() + make_interval(secs => t.deadline), t.max_attempts, t.hash, now(), t.key_id,"
          + " t.priority, t.guardrails::jsonb, t.trace_context FROM unnest($1::uuid[], $2::uuid[],"
          + " $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::int[], $9::int[],"
          + " $10::text[], $11::uuid[], $12::int[], $13::text[], $14::text[]) AS t(id, tenant_id,"
          + " model, request, cache_mode, metadata, webhook_url, deadline, max_attempts, hash,"
          + " key_id, priority, guardrails, trace_context)"
          + " RETURNING "
          + JobRow.COLUMNS;

  private record Pending(
      NewJob job, Context context, CompletableFuture<JobRepository.Inserted> done) {}

  private final Pool pool;
  private final String insertMany;
  private final Function<NewJob, Uni<JobRepository.Inserted>> single;
  private final Queue<Pending> waiting = new ConcurrentLinkedQueue<>();
  private final AtomicInteger running = new AtomicInteger();
  private final AtomicLong batches = new AtomicLong();

  /**
   * @param single stores one job with the single-row statement: a lone submit, and each row of a
   *     batch whose statement failed
   */
  GroupCommit(Pool pool, OutboxRelay outbox, Function<NewJob, Uni<JobRepository.Inserted>> single) {
    this.pool = pool;
    this.insertMany = outbox.addingTo(INSERT_MANY);
    this.single = single;
  }

  /** Stores the job, with its outbox row, when subscribed to; completes once committed. */
  Uni<JobRepository.Inserted> insert(NewJob job) {
    return Uni.createFrom()
        .deferred(() -> {
          Pending pending = new Pending(job, Vertx.currentContext(), new CompletableFuture<>());
          waiting.add(pending);
          drain();
          return Uni.createFrom().completionStage(pending.done());
        });
  }

  private void drain() {
    while (true) {
      int now = running.get();
      if (now >= IN_FLIGHT) {
        return;
      }
      if (!running.compareAndSet(now, now + 1)) {
        continue;
      }
      List<Pending> batch = new ArrayList<>();
      for (Pending next; batch.size() < MAX_BATCH && (next = waiting.poll()) != null; ) {
        batch.add(next);
      }
      if (batch.isEmpty()) {
        running.decrementAndGet();
        // A row added after the poll and before the count fell saw no free slot: take it now.
        if (waiting.isEmpty()) {
          return;
        }
        continue;
      }
      run(batch);
    }
  }

  /** How many statements have written more than one job so far. */
  long batches() {
    return batches.get();
  }

  private void run(List<Pending> batch) {
    if (batch.size() > 1) {
      batches.incrementAndGet();
    }
    Uni<?> statement =
        batch.size() == 1
            ? single.apply(batch.get(0).job()).invoke(inserted -> settle(batch.get(0), inserted))
            : pool.preparedQuery(insertMany)
                .execute(values(batch))
                .invoke(rows -> settleAll(batch, rows))
                .onFailure()
                .invoke(failure -> batch.forEach(this::alone));
    statement
        .subscribe()
        .with(
            ignored -> finished(),
            failure -> {
              if (batch.size() == 1) {
                fail(batch.get(0), failure);
              }
              finished();
            });
  }

  private void finished() {
    running.decrementAndGet();
    drain();
  }

  /** A row of a failed batch, stored on its own: its outcome is its caller's. */
  private void alone(Pending pending) {
    single
        .apply(pending.job())
        .subscribe()
        .with(inserted -> settle(pending, inserted), failure -> fail(pending, failure));
  }

  private void settleAll(List<Pending> batch, RowSet<Row> rows) {
    Map<UUID, JobRepository.Inserted> stored = new HashMap<>(rows.size() * 2);
    for (Row row : rows) {
      JobRow job = JobRow.from(row);
      stored.put(job.id(), new JobRepository.Inserted(job, row.getLong("outbox_id")));
    }
    for (Pending pending : batch) {
      JobRepository.Inserted inserted = stored.get(pending.job().id());
      if (inserted == null) {
        fail(pending, new IllegalStateException("a batched job row came back missing"));
      } else {
        settle(pending, inserted);
      }
    }
  }

  private static void settle(Pending pending, JobRepository.Inserted inserted) {
    on(pending, () -> pending.done().complete(inserted));
  }

  private static void fail(Pending pending, Throwable failure) {
    on(pending, () -> pending.done().completeExceptionally(failure));
  }

  private static void on(Pending pending, Runnable task) {
    if (pending.context() == null || pending.context() == Vertx.currentContext()) {
      task.run();
    } else {
      pending.context().runOnContext(ignored -> task.run());
    }
  }

  private static Tuple values(List<Pending> batch) {
    int n = batch.size();
    UUID[] ids = new UUID[n];
    UUID[] tenants = new UUID[n];
    String[] models = new String[n];
    String[] requests = new String[n];
    String[] cacheModes = new String[n];
    String[] metadata = new String[n];
    String[] webhooks = new String[n];
    Integer[] deadlines = new Integer[n];
    Integer[] attempts = new Integer[n];
    String[] hashes = new String[n];
    UUID[] keys = new UUID[n];
    Integer[] priorities = new Integer[n];
    String[] guardrails = new String[n];
    String[] traces = new String[n];
    for (int i = 0; i < n; i++) {
      NewJob job = batch.get(i).job();
      ids[i] = job.id();
      tenants[i] = job.tenantId();
      models[i] = job.model();
      requests[i] = job.requestJson();
      cacheModes[i] = job.cacheMode();
      metadata[i] = job.metadataJson();
      webhooks[i] = job.webhookUrl();
      deadlines[i] = job.deadlineSeconds();
      attempts[i] = job.maxAttempts();
      hashes[i] = job.bodyHash();
      keys[i] = job.keyId();
      priorities[i] = job.priority().rank();
      guardrails[i] = job.guardrailsJson();
      traces[i] = job.traceContext();
    }
    return Tuple.tuple()
        .addArrayOfUUID(ids)
        .addArrayOfUUID(tenants)
        .addArrayOfString(models)
        .addArrayOfString(requests)
        .addArrayOfString(cacheModes)
        .addArrayOfString(metadata)
        .addArrayOfString(webhooks)
        .addArrayOfInteger(deadlines)
        .addArrayOfInteger(attempts)
        .addArrayOfString(hashes)
        .addArrayOfUUID(keys)
        .addArrayOfInteger(priorities)
        .addArrayOfString(guardrails)
        .addArrayOfString(traces);
  }
}
