package io.llmq.worker.guardrails;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The phrase rules of the injection heuristics, for the three families that are said in words:
 * {@code instruction_override} ("ignore all previous instructions", in six languages), {@code
 * role_impersonation} (fake system turns, chat-template tokens, "you are now DAN", "developer
 * mode") and {@code prompt_leak} ("print your system prompt"). Each matching rule adds its weight
 * to its family as an independent chance. A match inside quotes, in a text that talks about
 * attacks, filters or security, counts a third of its weight: quoting an attack to discuss it is
 * not making one.
 */
final class InjectionPhrases {

  static final String OVERRIDE = "instruction_override";
  static final String ROLE = "role_impersonation";
  static final String LEAK = "prompt_leak";

  private record Rule(String family, Pattern pattern, double weight) {}

  private static final String TARGETS =
      "(?:instructions?|rules|directives?|directions|guidelines?|prompts?|constraints|restrictions|guardrails"
          + "|programming|polic(?:y|ies)|commands|orders|training|filters?|safeguards)";

  private static final String LEADS =
      "(?:(?:all|any|every|each|of|the|your|these|those|my|previous|prior|above|earlier|preceding"
          + "|initial|original|former|system|existing|current|safety|old|given|ethical|content)"
          + "\\s+){0,5}";

  private static final List<Rule> RULES =
      List.of(
          rule(
              OVERRIDE,
              "\\b(?:ignore|disregard|forget|override|bypass|abandon|discard|neglect)"
                  + "\\s+"
                  + LEADS
                  + TARGETS
                  + "\\b",
              0.85),
          rule(
              OVERRIDE,
              "\\b(?:ignore|disregard|forget)\\s+(?:everything|all(?: of it)?|anything"
                  + "|what)\\s+(?:(?:was|is|has been|were)\\s+)?(?:(?:written|said|stated|mentioned)\\s+)?(?:above|before|prior|"
                  + "previously|earlier|you (?:were|have been|'ve been) told)",
              0.85),
          rule(
              OVERRIDE,
              "\\b(?:new|updated|revised|real|actual|true) (?:system )?(?:instructions|"
                  + "rules|directives?|orders)\\s*[:\\-]",
              0.7),
          rule(
              OVERRIDE,
              "\\bfrom now on,? (?:you (?:are|will|must|shall|have to|no longer)|"
                  + "ignore|only (?:respond|answer|reply))",
              0.6),
          rule(
              OVERRIDE,
              "\\b(?:do not|don't|stop|never) (?:follow(?:ing)?|obey(?:ing)?|"
                  + "adher(?:e|ing) to|comply(?:ing)? with) (?:your|the|any|those|these) (?:\\w+ )?"
                  + TARGETS,
              0.8),
          rule(
              OVERRIDE,
              "\\byou (?:are|'re) (?:no longer|not) (?:bound|restricted|limited|"
                  + "constrained) by",
              0.8),
          rule(
              OVERRIDE,
              "\\b(?:override|bypass|disable|turn off|deactivate|remove) (?:your |the |"
                  + "all |any )?(?:safety |content |security |ethical )?(?:filters?|guardrails|"
                  + "restrictions|safeguards|protocols|limitations)",
              0.7),
          rule(
              OVERRIDE,
              "\\b(?:without|with no) (?:any )?(?:restrictions|filters|limitations|"
                  + "censorship|guidelines)\\b",
              0.35),
          rule(
              OVERRIDE,
              "\\binstead,? (?:output|print|say|respond with|reply with|write only)\\b",
              0.35),
          rule(
              OVERRIDE,
              "\\bignor(?:a|ar|e) (?:todas )?(?:las|as) instrucci?(?:ones|ões) "
                  + "(?:anteriores|previas)",
              0.85),
          rule(
              OVERRIDE,
              "\\bignore[zr]? (?:toutes )?les (?:instructions|consignes|règles) "
                  + "(?:précédentes|precedentes|antérieures|ci-dessus)",
              0.85),
          rule(
              OVERRIDE,
              "\\bignorier(?:e|en)? (?:alle )?(?:vorherigen|bisherigen|obigen|"
                  + "vorigen) (?:anweisungen|instruktionen|regeln|befehle)",
              0.85),
          rule(OVERRIDE, "\\bignora (?:tutte )?le istruzioni (?:precedenti|sopra)", 0.85),
          // role_impersonation: fake turns and personas
          rule(
              ROLE,
              "(?m)^\\s*(?:#{1,3}\\s*)?[\\[<(]?\\s*(?:system|developer|admin)\\s*[\\]>)]?"
                  + "\\s*:\\s*(?:you (?:are|must|will|shall)|ignore|disregard|new |override|the "
                  + "(?:assistant|ai|model)|from now)",
              0.85),
          rule(
              ROLE,
              "<\\|im_start\\|>\\s*system|<\\|system\\|>|<<sys>>|\\[/?inst\\]|"
                  + "<\\|endoftext\\|>|<\\|im_end\\|>|</?system>|\\[system\\]",
              0.45),
          rule(
              ROLE,
              "(?:<\\|im_start\\|>\\s*system|<\\|system\\|>|<<sys>>|<system>|\\[system\\])"
                  + "[^<\\[]{0,40}\\b(?:you are|you must|ignore|disregard|the assistant (?:is|must|will))",
              0.8),
          rule(
              ROLE,
              "\\byou are now (?:an? |in |the )?(?:dan|unrestricted|unfiltered|uncensored|"
                  + "jailbroken|evil|free|developer mode|god mode|[a-z]+gpt)\\b",
              0.85),
          rule(ROLE, "\\bdo anything now\\b", 0.8),
          rule(
              ROLE,
              "\\b(?:enable|activate|enter|switch to|turn on) (?:the )?(?:developer|god|"
                  + "debug|admin|jailbreak|dan|unrestricted|sudo) mode\\b",
              0.8),
          rule(
              ROLE,
              "\\b(?:act|behave|respond) as (?:an? )?(?:unrestricted|unfiltered|"
                  + "uncensored|jailbroken|amoral|unaligned) (?:ai|assistant|model|chatbot|llm)",
              0.85),
          rule(
              ROLE,
              "\\bpretend (?:that )?you (?:are|have) (?:no (?:rules|restrictions|filters|"
                  + "guidelines)|not bound|free of|an ai without)",
              0.75),
          rule(
              ROLE,
              "\\b(?:this is|i am|i'm) (?:your|the) (?:developer|creator|administrator|"
                  + "system administrator|operator)s?\\b",
              0.5),
          rule(
              ROLE,
              "\\b(?:message|notice|instruction|update) from (?:the )?(?:system|"
                  + "developers?|administrator|openai|anthropic)\\b",
              0.6),
          rule(
              ROLE,
              "\\b(?:system|admin|developer|root) (?:override|message|notice|"
                  + "instructions?|command)\\s*:",
              0.8),
          rule(ROLE, "\\byou have been (?:freed|unshackled|liberated|jailbroken|unlocked)\\b", 0.8),
          rule(ROLE, "\\bjailbr(?:eak|oken)\\b", 0.25),
          // prompt_leak: the system prompt asked for
          rule(
              LEAK,
              "\\b(?:reveal|print|show|display|output|repeat|tell me|give me|leak|dump|"
                  + "recite|spell out|write out|copy)\\s+(?:me\\s+)?(?:your|the)\\s+(?:(?:full|exact|"
                  + "entire|complete|original|initial|hidden|secret|first)\\s+)*(?:system prompt|"
                  + "system message|initial prompt|hidden (?:prompt|instructions)|pre-?prompt|"
                  + "developer (?:message|prompt|instructions)|original instructions|instructions you"
                  + " (?:were|have been) given)",
              0.75),
          rule(
              LEAK,
              "\\bwhat (?:is|are|was|were) your (?:system prompt|initial instructions|"
                  + "original instructions|hidden instructions)",
              0.6),
          rule(
              LEAK,
              "\\brepeat (?:the |all )?(?:words|text|everything|the instructions) "
                  + "(?:above|before this)",
              0.8),
          rule(
              LEAK,
              "\\b(?:above|preceding|previous) (?:text|prompt|instructions) "
                  + "(?:verbatim|word for word)",
              0.7));

  private static final Pattern DISCUSSION =
      Pattern.compile(
          "\\b(?:prompt injections?|jailbreak(?:s|ing)?|attack(?:s|er|ers)?|malicious|detect\\w*|"
              + "classif\\w*|filter(?:s|ing)?|defen[cs]e\\w*|prevent\\w*|mitigat\\w*|sanitiz\\w*|"
              + "red.team\\w*|examples? of|security|vulnerab\\w*|phishing|test cases?|regex)\\b",
          Pattern.CASE_INSENSITIVE);

  private static final Pattern QUOTED =
      Pattern.compile(
          "\"[^\"\\n]{1,400}\"|\u201c[^\u201d]{1,400}\u201d|`[^`]{1,400}`|'[^'\\n]{6,400}'"
              + "|\u00ab[^\u00bb]{1,400}\u00bb");

  private InjectionPhrases() {}

  private static Rule rule(String family, String regex, double weight) {
    return new Rule(
        family, Pattern.compile(regex, Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE), weight);
  }

  /** Each family's score in {@code text} (families that score nothing are left out). */
  static Map<String, Double> scores(String text) {
    List<int[]> quotes = DISCUSSION.matcher(text).find() ? quotedSpans(text) : List.of();
    Map<String, Double> unlikely = new LinkedHashMap<>();
    for (Rule rule : RULES) {
      Matcher matcher = rule.pattern().matcher(text);
      if (!matcher.find()) {
        continue;
      }
      double weight = rule.weight();
      if (matcher.group().toLowerCase(java.util.Locale.ROOT).matches("^\\w+\\s+my\\b.*")) {
        // "ignore my previous instructions": the writer taking back their own words.
        weight *= 0.3;
      }
      if (inside(quotes, matcher.start())) {
        weight /= 3;
      }
      unlikely.merge(rule.family(), 1 - weight, (a, b) -> a * b);
    }
    Map<String, Double> scores = new LinkedHashMap<>();
    unlikely.forEach((family, chance) -> scores.put(family, 1 - chance));
    return scores;
  }

  private static List<int[]> quotedSpans(String text) {
    List<int[]> spans = new ArrayList<>();
    Matcher matcher = QUOTED.matcher(text);
    while (matcher.find()) {
      spans.add(new int[] {matcher.start(), matcher.end()});
    }
    return spans;
  }

  private static boolean inside(List<int[]> spans, int index) {
    for (int[] span : spans) {
      if (index > span[0] && index < span[1]) {
        return true;
      }
    }
    return false;
  }
}
