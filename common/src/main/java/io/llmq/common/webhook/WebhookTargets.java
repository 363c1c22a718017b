package io.llmq.common.webhook;

import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.regex.Pattern;

/**
 * The SSRF guard of webhooks: a {@code webhook_url} must be {@code https} and its host must resolve
 * only to public addresses, never to loopback, private (RFC 1918, {@code fc00::/7}), link-local
 * ({@code 169.254/16}, {@code fe80::/10}), cloud metadata ({@code 169.254.169.254}, {@code
 * fd00:ec2::254}), unspecified, shared (CGNAT, {@code 100.64/10}), multicast or reserved ones.
 * Checked at submit and again before each send, since DNS can change; the sender then connects to
 * the very address that was checked, so a second lookup cannot swap it (DNS rebinding). A host with
 * several addresses must have only public ones. {@code llmq.webhooks.allow-insecure} lifts both
 * rules together, for local development and tests.
 */
@ApplicationScoped
public class WebhookTargets {

  /** Looks up a host's addresses; a test may answer for names it makes up. */
  @FunctionalInterface
  public interface Resolver {
    InetAddress[] resolve(String host) throws UnknownHostException;
  }

  /** A URL that passed the guard, and the address to connect to. */
  public record Target(URI uri, InetAddress address) {

    public int port() {
      return uri.getPort() > 0
          ? uri.getPort()
          : "https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80;
    }

    public boolean tls() {
      return "https".equalsIgnoreCase(uri.getScheme());
    }
  }

  /** A URL the guard refused; the message is safe to show to the tenant who gave the URL. */
  public static final class Refused extends RuntimeException {
    public Refused(String message) {
      super(message, null, false, false);
    }
  }

  /** A host of digits and dots: an IPv4 address, or nothing any DNS could answer for. */
  private static final Pattern NUMERIC = Pattern.compile("[0-9.]+");

  /**
   * An IPv4 address in its one plain form. Other numeric forms ({@code 2130706433}, {@code 127.1},
   * {@code 010.0.0.1}, {@code 1.2.3.4.5}) are refused: they would hide an address from a reader,
   * and some of them the JDK would look up as names.
   */
  private static final Pattern DOTTED_QUAD;

  static {
    String octet = "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])";
    DOTTED_QUAD = Pattern.compile(octet + "(\\." + octet + "){3}");
  }

  private final boolean allowInsecure;
  private final Resolver resolver;

  @Inject
  WebhookTargets(WebhooksConfig config) {
    this(config.allowInsecure(), InetAddress::getAllByName);
  }

  public WebhookTargets(boolean allowInsecure, Resolver resolver) {
    this.allowInsecure = allowInsecure;
    this.resolver = resolver;
  }

  /**
   * Checks the URL's form only (scheme, host, no credentials): what can be said without DNS. Throws
   * {@link Refused}.
   */
  public URI parse(String url) {
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      throw new Refused("is not a valid URL");
    }
    String scheme = uri.getScheme();
    boolean https = "https".equalsIgnoreCase(scheme);
    if (!https && !(allowInsecure && "http".equalsIgnoreCase(scheme))) {
      throw new Refused("must be an absolute https URL");
    }
    if (uri.getHost() == null || uri.getHost().isEmpty()) {
      throw new Refused("must be an absolute https URL");
    }
    if (uri.getRawUserInfo() != null) {
      throw new Refused("must not carry credentials");
    }
    if (NUMERIC.matcher(uri.getHost()).matches() && !DOTTED_QUAD.matcher(uri.getHost()).matches()) {
      throw new Refused("has a host that is not a valid IPv4 address");
    }
    return uri;
  }

  /**
   * Parses and resolves the URL and checks every address; fails with {@link Refused}. The lookup
   * blocks, so it runs off the event loop.
   */
  public Uni<Target> check(String url) {
    URI uri;
    try {
      uri = parse(url);
    } catch (Refused refused) {
      return Uni.createFrom().failure(refused);
    }
    if (isAddressLiteral(uri.getHost())) {
      // Nothing to look up: no need to leave the calling thread.
      return Uni.createFrom().item(() -> target(uri));
    }
    return Uni.createFrom()
        .item(() -> target(uri))
        .runSubscriptionOn(Infrastructure.getDefaultWorkerPool());
  }

  /** An IP address written out, which {@link #parse} let through only in its plain form. */
  private static boolean isAddressLiteral(String host) {
    return host.startsWith("[") || NUMERIC.matcher(host).matches();
  }

  /** {@link #check} without leaving the calling thread: for callers already off the event loop. */
  public Target target(URI uri) {
    String host = uri.getHost();
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    InetAddress[] addresses;
    try {
      addresses = resolver.resolve(host);
    } catch (UnknownHostException | SecurityException e) {
      throw new Refused("has a host name that does not resolve");
    }
    if (addresses == null || addresses.length == 0) {
      throw new Refused("has a host name that does not resolve");
    }
    if (!allowInsecure) {
      for (InetAddress address : addresses) {
        String kind = forbidden(address);
        if (kind != null) {
          throw new Refused("points to " + kind + " address, which webhooks may not target");
        }
      }
    }
    return new Target(uri, addresses[0]);
  }

  /** What kind of non-public address this is ("a loopback", "a private", …), or null if public. */
  public static String forbidden(InetAddress address) {
    if (address instanceof Inet6Address v6) {
      return forbidden6(v6.getAddress());
    }
    return forbidden4(address.getAddress());
  }

  private static String forbidden4(byte[] ip) {
    int a = ip[0] & 0xff;
    int b = ip[1] & 0xff;
    int c = ip[2] & 0xff;
    if (a == 169 && b == 254 && c == 169 && (ip[3] & 0xff) == 254) {
      return "a cloud metadata";
    }
    if (a == 127) {
      return "a loopback";
    }
    if (a == 10 || (a == 172 && b >= 16 && b <= 31) || (a == 192 && b == 168)) {
      return "a private";
    }
    if (a == 169 && b == 254) {
      return "a link-local";
    }
    if (a == 0) {
      return "an unspecified";
    }
    if (a == 100 && b >= 64 && b <= 127) {
      return "a shared (CGNAT)";
    }
    if (a >= 224) {
      return "a multicast or reserved";
    }
    if ((a == 192 && b == 0 && (c == 0 || c == 2))
        || (a == 198 && (b == 18 || b == 19))
        || (a == 198 && b == 51 && c == 100)
        || (a == 203 && b == 0 && c == 113)) {
      return "a reserved";
    }
    return null;
  }

  private static String forbidden6(byte[] ip) {
    boolean zeroPrefix = true;
    for (int i = 0; i < 10; i++) {
      zeroPrefix &= ip[i] == 0;
    }
    if (zeroPrefix && ip[10] == 0 && ip[11] == 0) {
      // :: and ::1, or an IPv4-compatible address (::a.b.c.d)
      boolean high = ip[12] == 0 && ip[13] == 0 && ip[14] == 0;
      if (high && ip[15] == 0) {
        return "an unspecified";
      }
      if (high && ip[15] == 1) {
        return "a loopback";
      }
      return embedded(ip, 12);
    }
    if (zeroPrefix && ip[10] == (byte) 0xff && ip[11] == (byte) 0xff) {
      return embedded(ip, 12); // IPv4-mapped
    }
    int first = ip[0] & 0xff;
    int second = ip[1] & 0xff;
    if (first == 0x00 && second == 0x64 && ip[2] == (byte) 0xff && ip[3] == (byte) 0x9b) {
      return embedded(ip, 12); // NAT64 64:ff9b::/96
    }
    if (first == 0x20 && second == 0x02) {
      return embedded(ip, 2); // 6to4 2002::/16
    }
    if ((first & 0xfe) == 0xfc) {
      boolean metadata =
          first == 0xfd && second == 0x00 && (ip[2] & 0xff) == 0x0e && (ip[3] & 0xff) == 0xc2;
      return metadata ? "a cloud metadata" : "a private";
    }
    if (first == 0xfe && (second & 0xc0) == 0x80) {
      return "a link-local";
    }
    if (first == 0xfe && (second & 0xc0) == 0xc0) {
      return "a private"; // deprecated site-local fec0::/10
    }
    if (first == 0xff) {
      return "a multicast or reserved";
    }
    if (first == 0x20 && second == 0x01 && ip[2] == 0x0d && (ip[3] & 0xff) == 0xb8) {
      return "a reserved"; // documentation 2001:db8::/32
    }
    if (first == 0x20 && second == 0x01 && ip[2] == 0 && ip[3] == 0) {
      return "a reserved"; // Teredo 2001::/32 tunnels to an address it hides
    }
    if (first == 0x01 && second == 0x00 && ip[2] == 0 && ip[3] == 0) {
      return "a reserved"; // discard 100::/64
    }
    return null;
  }

  private static String embedded(byte[] ip, int at) {
    byte[] v4 = {ip[at], ip[at + 1], ip[at + 2], ip[at + 3]};
    try {
      return forbidden4(Inet4Address.getByAddress(v4).getAddress());
    } catch (UnknownHostException e) {
      return "a reserved";
    }
  }
}
