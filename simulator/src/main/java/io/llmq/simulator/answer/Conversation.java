package io.llmq.simulator.answer;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * What a call asks about, reduced to what the simulator uses: the model and the text of each
 * message. Both APIs read into it, so the same conversation gets the same answer from either.
 */
public record Conversation(String model, List<Turn> turns) {

  /** Sum over the messages of 4 + ceil(characters / 4): the prompt tokens billed. */
  public int promptTokens() {
    return turns.stream().mapToInt(turn -> Turn.tokens(turn.chars())).sum();
  }

  /**
   * Sum over the messages of ceil(characters / 4) + 3: the prompt as OpenAI's limiter estimates it
   * from characters ({@code limiter_count: characters}).
   */
  public int characterTokens() {
    return turns.stream().mapToInt(turn -> Turn.characterTokens(turn.chars())).sum();
  }

  /** The answer's seed: the first 8 bytes of a SHA-256 over the model and every message. */
  public long seed() {
    MessageDigest digest = digestOfModel();
    for (Turn turn : turns) {
      addTurn(digest, turn);
      turn.blocks().forEach(block -> addBlock(digest, block));
    }
    return ByteBuffer.wrap(digest.digest()).getLong();
  }

  /** One prefix per block marked {@code cache_control}, in prompt order. */
  public List<CachePrefix> cachePrefixes() {
    MessageDigest digest = digestOfModel();
    List<CachePrefix> prefixes = new ArrayList<>();
    int tokensBefore = 0;
    for (Turn turn : turns) {
      addTurn(digest, turn);
      int chars = 0;
      for (Block block : turn.blocks()) {
        addBlock(digest, block);
        chars += block.text().length();
        if (block.cacheControl()) {
          String hash = HexFormat.of().formatHex(copy(digest).digest());
          prefixes.add(new CachePrefix(hash, tokensBefore + Turn.tokens(chars)));
        }
      }
      tokensBefore += Turn.tokens(chars);
    }
    return prefixes;
  }

  private MessageDigest digestOfModel() {
    MessageDigest digest;
    try {
      digest = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
    add(digest, 'M', model);
    return digest;
  }

  private static void addTurn(MessageDigest digest, Turn turn) {
    add(digest, 'T', turn.role());
  }

  private static void addBlock(MessageDigest digest, Block block) {
    add(digest, 'B', block.text());
  }

  /** A tag and a length before each string, so different splits never hash alike. */
  private static void add(MessageDigest digest, char tag, String text) {
    byte[] bytes = text.getBytes(UTF_8);
    digest.update((byte) tag);
    digest.update(ByteBuffer.allocate(4).putInt(bytes.length).array());
    digest.update(bytes);
  }

  private static MessageDigest copy(MessageDigest digest) {
    try {
      return (MessageDigest) digest.clone();
    } catch (CloneNotSupportedException e) {
      throw new IllegalStateException("SHA-256 digests can be cloned", e);
    }
  }
}
