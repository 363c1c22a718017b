package io.llmq.worker.execution;

import io.llmq.worker.config.WorkerConfig;
import jakarta.enterprise.context.ApplicationScoped;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.UUID;

/** The name this worker writes into the leases it holds. */
@ApplicationScoped
public class WorkerIdentity {

  private final String id;

  WorkerIdentity(WorkerConfig config) {
    this.id = config.id().orElseGet(WorkerIdentity::generated);
  }

  public String id() {
    return id;
  }

  private static String generated() {
    String host;
    try {
      host = InetAddress.getLocalHost().getHostName();
    } catch (UnknownHostException e) {
      host = "worker";
    }
    return host + "-" + UUID.randomUUID().toString().substring(0, 8);
  }
}
