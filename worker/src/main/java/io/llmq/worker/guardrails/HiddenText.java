package io.llmq.worker.guardrails;

import java.text.Normalizer;

/**
 * Text a reader does not see: zero-width characters, bidirectional controls and Unicode tag
 * characters (U+E0000–U+E007F, which spell ASCII invisibly). Tag characters that finish a
 * subdivision flag emoji (🏴 followed by tags and U+E007F, as in the flag of Scotland) and
 * zero-width joiners between emoji or inside words of joining scripts (Persian, Hindi) are what
 * they look like and are not counted.
 *
 * @param visible the text without the hidden characters, NFKC-normalised (full-width letters as
 *     ASCII)
 * @param tagged what the tag characters spell, empty when there are none
 * @param suspicious how many hidden characters that are not part of an emoji or a word
 */
record HiddenText(String visible, String tagged, int suspicious) {

  private static final int BLACK_FLAG = 0x1F3F4;
  private static final int CANCEL_TAG = 0xE007F;

  static HiddenText of(String text) {
    StringBuilder visible = new StringBuilder(text.length());
    StringBuilder tagged = new StringBuilder();
    int suspicious = 0;
    int previous = -1;
    for (int i = 0; i < text.length(); ) {
      int c = text.codePointAt(i);
      int width = Character.charCount(c);
      if (c >= 0xE0000 && c <= CANCEL_TAG) {
        int end = flagEnd(text, i, previous);
        if (end > 0) {
          visible.append(text, i, end);
          i = end;
          previous = CANCEL_TAG;
          continue;
        }
        if (c >= 0xE0020 && c < CANCEL_TAG) {
          tagged.appendCodePoint(c - 0xE0000);
        }
        suspicious++;
      } else if (invisible(c)) {
        int next = i + width < text.length() ? text.codePointAt(i + width) : -1;
        if (!joinsLegitimately(c, previous, next, i)) {
          suspicious++;
        }
      } else {
        visible.appendCodePoint(c);
      }
      previous = c;
      i += width;
    }
    return new HiddenText(
        Normalizer.normalize(visible, Normalizer.Form.NFKC), tagged.toString(), suspicious);
  }

  /** After a black flag, a run of tag letters ending in the cancel tag: where it ends, else -1. */
  private static int flagEnd(String text, int start, int previous) {
    if (previous != BLACK_FLAG) {
      return -1;
    }
    for (int i = start, n = 0; i < text.length() && n < 8; n++) {
      int c = text.codePointAt(i);
      i += Character.charCount(c);
      if (c == CANCEL_TAG) {
        return i;
      }
      if (c < 0xE0061 || c > 0xE007A) {
        return -1;
      }
    }
    return -1;
  }

  private static boolean invisible(int c) {
    return c == 0x200B
        || c == 0x200C
        || c == 0x200D
        || c == 0x2060
        || c == 0x180E
        || c == 0xFEFF
        || (c >= 0x202A && c <= 0x202E)
        || (c >= 0x2066 && c <= 0x2069);
  }

  /**
   * A joiner between emoji or inside a word of a script that joins (not Latin), or a byte-order
   * mark at the very start.
   */
  private static boolean joinsLegitimately(int c, int previous, int next, int index) {
    if (c == 0xFEFF) {
      return index == 0;
    }
    if (c != 0x200C && c != 0x200D) {
      return false;
    }
    return (previous > 0x2000 && !Character.isLetter(previous))
        || (Character.isLetter(previous) && previous > 0x024F)
        || (next > 0 && Character.isLetter(next) && next > 0x024F)
        || (next >= 0x1F000);
  }
}
