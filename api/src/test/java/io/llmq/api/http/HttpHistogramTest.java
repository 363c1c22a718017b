package io.llmq.api.http;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llmq.common.testing.LlmqTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * {@code http_server_requests_seconds} publishes histogram buckets (common's {@code Histograms}),
 * by templated uri, so an api p99 is a {@code histogram_quantile} over {@code _bucket}.
 */
@QuarkusTest
@QuarkusTestResource(LlmqTestResource.class)
class HttpHistogramTest {

  @Test
  void requestsAreTimedInHistogramBucketsByTemplatedUri() {
    given().get("/v1/jobs/" + UUID.randomUUID()).then().statusCode(401);

    String metrics = given().get("/q/metrics").then().statusCode(200).extract().asString();
    Matcher buckets =
        Pattern.compile("(?m)^http_server_requests_seconds_bucket\\{(.*)} (\\S+)$")
            .matcher(metrics);
    int lines = 0;
    boolean infCounted = false;
    while (buckets.find()) {
      String labels = buckets.group(1);
      if (labels.contains("uri=\"/v1/jobs/{id}\"") && labels.contains("status=\"401\"")) {
        lines++;
        infCounted |= labels.contains("le=\"+Inf\"") && Double.parseDouble(buckets.group(2)) >= 1;
      }
    }
    assertTrue(lines >= 10, "bucket lines for /v1/jobs/{id}: " + lines);
    assertTrue(infCounted, "the request is counted in le=+Inf");
  }
}
