package io.llmq.common.governor;

import io.llmq.common.failure.RedisTimeout;
import io.quarkus.logging.Log;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.UUID;

/**
 * Tenants' {@code share_weight}s as the governor's waiting rooms read them ({@code
 * llmq:room:weights}): a weight the admin changes applies at once to the tenant's calls already
 * waiting, which otherwise carry the weight they entered with. Best effort: while Redis does not
 * answer, waiting calls keep the weight they entered with, and new ones enter with the new one.
 */
@ApplicationScoped
public class ShareWeights {

  static final String KEY = "llmq:room:weights";

  private final ReactiveRedisDataSource redis;
  private final RedisTimeout timeout;

  ShareWeights(ReactiveRedisDataSource redis, RedisTimeout timeout) {
    this.redis = redis;
    this.timeout = timeout;
  }

  /** The tenant's weight from now on. */
  public Uni<Void> publish(UUID tenantId, double weight) {
    return timeout
        .bound(redis.hash(Double.class).hset(KEY, tenantId.toString(), weight))
        .replaceWithVoid()
        .onFailure()
        .recoverWithUni(failure -> {
          Log.warnf("Tenant(id=%s) share weight not published: %s", tenantId, failure.getMessage());
          return Uni.createFrom().voidItem();
        });
  }
}
