package io.llmq.common.webhook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The SSRF guard. Names that the test makes up are answered by an injected resolver (this machine
 * has no DNS); {@code localhost} goes through the system resolver, as it would in production.
 */
class WebhookTargetsTest {

  /** A resolver for made-up names, falling back to the system one for everything else. */
  private static final WebhookTargets.Resolver NAMES =
      host -> {
        Map<String, String[]> names =
            Map.of(
                "hooks.example.com", new String[] {"93.184.216.34"},
                "v6.example.com", new String[] {"2606:2800:220:1:248:1893:25c8:1946"},
                "internal.example.com", new String[] {"10.0.0.7"},
                "metadata.example.com", new String[] {"169.254.169.254"},
                "rebind.example.com", new String[] {"93.184.216.34", "127.0.0.1"});
        String[] addresses = names.get(host);
        if (addresses == null) {
          return InetAddress.getAllByName(host);
        }
        InetAddress[] resolved = new InetAddress[addresses.length];
        for (int i = 0; i < addresses.length; i++) {
          resolved[i] = InetAddress.getByName(addresses[i]);
        }
        return resolved;
      };

  private final WebhookTargets guard = new WebhookTargets(false, NAMES);

  private String refusal(String url) {
    return assertThrows(WebhookTargets.Refused.class, () -> guard.target(guard.parse(url)))
        .getMessage();
  }

  @ParameterizedTest
  @CsvSource({
    "https://127.0.0.1/hook, a loopback",
    "https://127.8.9.10/hook, a loopback",
    "https://[::1]/hook, a loopback",
    "https://localhost/hook, a loopback",
    "https://10.1.2.3/hook, a private",
    "https://172.16.0.1/hook, a private",
    "https://172.31.255.255/hook, a private",
    "https://192.168.1.1/hook, a private",
    "https://[fc00::1]/hook, a private",
    "https://[fd12:3456::1]/hook, a private",
    "https://169.254.10.20/hook, a link-local",
    "https://[fe80::1]/hook, a link-local",
    "https://169.254.169.254/latest/meta-data, a cloud metadata",
    "https://[fd00:ec2::254]/hook, a cloud metadata",
    "https://0.0.0.0/hook, an unspecified",
    "https://[::]/hook, an unspecified",
    "https://100.64.0.1/hook, a shared (CGNAT)",
    "https://[::ffff:127.0.0.1]/hook, a loopback",
    "https://[::ffff:10.0.0.1]/hook, a private",
    "https://[64:ff9b::a9fe:a9fe]/hook, a cloud metadata",
    "https://[2002:c0a8:0101::1]/hook, a private",
    "https://224.0.0.1/hook, a multicast or reserved",
    "https://internal.example.com/hook, a private",
    "https://metadata.example.com/hook, a cloud metadata",
  })
  void nonPublicAddressesAreRefused(String url, String kind) {
    assertEquals("points to " + kind + " address, which webhooks may not target", refusal(url));
  }

  @Test
  void aNameWithAnyNonPublicAddressIsRefusedEvenIfAnotherIsPublic() {
    assertEquals(
        "points to a loopback address, which webhooks may not target",
        refusal("https://rebind.example.com/hook"));
  }

  @Test
  void publicAddressesAreAllowedAndTheCheckedAddressIsTheOneToConnectTo()
      throws UnknownHostException {
    WebhookTargets.Target target = guard.target(guard.parse("https://hooks.example.com/a?b=c"));
    assertEquals(InetAddress.getByName("93.184.216.34"), target.address());
    assertEquals(443, target.port());
    assertEquals(
        InetAddress.getByName("2606:2800:220:1:248:1893:25c8:1946"),
        guard.target(guard.parse("https://v6.example.com:8443/")).address());
    assertEquals(8443, guard.target(URI.create("https://v6.example.com:8443/")).port());
    guard.target(guard.parse("https://8.8.8.8/hook"));
  }

  @Test
  void onlyHttpsWithAHostAndNoCredentialsIsAccepted() {
    assertEquals("must be an absolute https URL", refusal("http://hooks.example.com/hook"));
    assertEquals("must be an absolute https URL", refusal("ftp://hooks.example.com/hook"));
    assertEquals("must be an absolute https URL", refusal("https:///nohost"));
    assertEquals("must be an absolute https URL", refusal("/relative"));
    assertEquals("is not a valid URL", refusal("https://exa mple.com/"));
    assertEquals("must not carry credentials", refusal("https://user:pw@hooks.example.com/"));
  }

  @Test
  void numericHostsOtherThanAPlainIpv4AddressAreRefusedWithoutALookup() {
    WebhookTargets noLookups =
        new WebhookTargets(
            false,
            host -> {
              throw new AssertionError("looked up " + host);
            });
    for (String host :
        List.of(
            "1.2.3.4.5", "2130706433", "127.1", "010.0.0.1", "256.1.1.1", "1.2.3.4.", "1..2.3")) {
      // Most of these java.net.URI already reads as having no host; the rest the guard refuses.
      assertThrows(
          WebhookTargets.Refused.class,
          () -> noLookups.check("https://" + host + "/hook").await().indefinitely(),
          host);
    }
    assertEquals("has a host that is not a valid IPv4 address", refusal("https://010.0.0.1/hook"));
  }

  @Test
  void aNameThatDoesNotResolveIsRefused() {
    assertEquals(
        "has a host name that does not resolve", refusal("https://no-such-host.invalid/hook"));
  }

  @Test
  void allowInsecureLetsPlainHttpAndPrivateAddressesThroughTogether() {
    WebhookTargets open = new WebhookTargets(true, NAMES);
    open.target(open.parse("http://127.0.0.1:8080/hook"));
    open.target(open.parse("https://internal.example.com/hook"));
    open.target(open.parse("http://localhost/hook"));
  }
}
