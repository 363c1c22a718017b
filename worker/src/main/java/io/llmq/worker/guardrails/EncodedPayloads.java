package io.llmq.worker.guardrails;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The readings of a text that an encoded payload hides in: every base64 or hex blob that decodes to
 * readable text, the whole text in ROT13, reversed, and with leetspeak digits as letters. The
 * heuristics look for instructions in each; a blob that decodes to binary (an image, a key, a hash)
 * gives no reading.
 */
final class EncodedPayloads {

  private static final Pattern BASE64 =
      Pattern.compile("(?<![A-Za-z0-9+/_-])[A-Za-z0-9+/_-]{16,}={0,2}");
  private static final Pattern HEX =
      Pattern.compile("(?:(?:\\\\x|0x)?[0-9a-fA-F]{2}[\\s:,]?){12,}");
  private static final Pattern HEX_DIGITS = Pattern.compile("(?:\\\\x|0x)|[\\s:,]");
  private static final Pattern ASKS_TO_DECODE =
      Pattern.compile(
          "\\b(?:decode|decipher|decrypt|translate|convert|unscramble|reverse)\\b[^.\\n]{0,80}\\b"
              + "(?:and|then)\\s+(?:follow|obey|execute|do|run|carry out|act on|comply)",
          Pattern.CASE_INSENSITIVE);

  private EncodedPayloads() {}

  /** The text of every blob in {@code text} that decodes to readable text. */
  static List<String> decodedBlobs(String text) {
    List<String> decoded = new ArrayList<>();
    Matcher base64 = BASE64.matcher(text);
    while (base64.find()) {
      readable(base64Bytes(base64.group())).ifPresent(decoded::add);
    }
    Matcher hex = HEX.matcher(text);
    while (hex.find()) {
      String digits = HEX_DIGITS.matcher(hex.group()).replaceAll("");
      if (digits.length() % 2 == 0) {
        try {
          readable(HexFormat.of().parseHex(digits)).ifPresent(decoded::add);
        } catch (IllegalArgumentException notHex) {
          // not a hex blob after all
        }
      }
    }
    return decoded;
  }

  /** Whether the text asks for something to be decoded and then obeyed. */
  static boolean asksToDecodeAndObey(String text) {
    return ASKS_TO_DECODE.matcher(text).find();
  }

  static String rot13(String text) {
    StringBuilder out = new StringBuilder(text.length());
    for (char c : text.toCharArray()) {
      if (c >= 'a' && c <= 'z') {
        out.append((char) ('a' + (c - 'a' + 13) % 26));
      } else if (c >= 'A' && c <= 'Z') {
        out.append((char) ('A' + (c - 'A' + 13) % 26));
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }

  static String reversed(String text) {
    return new StringBuilder(text).reverse().toString();
  }

  /** Leetspeak digits and signs inside words read as the letters they stand for. */
  static String unleet(String text) {
    StringBuilder out = new StringBuilder(text.length());
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      boolean inWord =
          (i > 0 && Character.isLetterOrDigit(text.charAt(i - 1)))
              || (i + 1 < text.length() && Character.isLetter(text.charAt(i + 1)));
      out.append(
          inWord
              ? switch (c) {
                case '0' -> 'o';
                case '1', '!' -> 'i';
                case '3' -> 'e';
                case '4', '@' -> 'a';
                case '5', '$' -> 's';
                case '7' -> 't';
                default -> c;
              }
              : c);
    }
    return out.toString();
  }

  private static byte[] base64Bytes(String blob) {
    String standard = blob.replace('-', '+').replace('_', '/').replace("=", "");
    try {
      return Base64.getDecoder().decode(standard + "=".repeat((4 - standard.length() % 4) % 4));
    } catch (IllegalArgumentException notBase64) {
      return new byte[0];
    }
  }

  /** The bytes as text when they are UTF-8 of mostly printable characters and spaces. */
  private static java.util.Optional<String> readable(byte[] bytes) {
    if (bytes.length < 8) {
      return java.util.Optional.empty();
    }
    String text = new String(bytes, StandardCharsets.UTF_8);
    long printable =
        text.codePoints()
            .filter(c -> (c >= 0x20 && c != 0xFFFD && c != 0x7F) || c == '\n' || c == '\t')
            .count();
    long spaces = text.chars().filter(c -> c == ' ').count();
    boolean readable = printable >= 0.95 * text.codePointCount(0, text.length()) && spaces >= 1;
    return readable ? java.util.Optional.of(text) : java.util.Optional.empty();
  }
}
