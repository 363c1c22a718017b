package io.llmq.worker.guardrails;

import io.llmq.common.guardrails.Verdict;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The moderation checker used when no provider moderates: a fixed table of phrase rules in six of
 * OpenAI's categories ({@code harassment}, {@code hate}, {@code self-harm}, {@code sexual}, {@code
 * violence}, {@code illicit}). Each rule that matches adds its weight to its category's score as an
 * independent chance ({@code 1 − Π(1 − w)}), and a category scoring {@value #FLAG_SCORE} or more
 * flags the input. The rules look for intent aimed at people (a threat, a request for a method),
 * not for words alone, so "kill the process" or "shoot a photo" score nothing. They are a floor for
 * deployments without a moderation endpoint, not a replacement for one.
 */
public final class LocalModerationRules {

  /** The verdict's {@code checker}. */
  public static final String CHECKER = "local-rules";

  /** The score from which a category flags the input. */
  public static final double FLAG_SCORE = 0.5;

  /** The categories, in the order the verdict lists their scores. */
  public static final List<String> CATEGORIES =
      List.of("harassment", "hate", "self-harm", "sexual", "violence", "illicit");

  private record Rule(String category, Pattern pattern, double weight) {}

  private static final String PEOPLE =
      "(?:you|him|her|them|someone|somebody|a person|people|my (?:wife|husband|boss|neighbou?r"
          + "|teacher|ex|mother|father|sister|brother|friend|coworker|colleague)|everyone)";

  private static final List<Rule> RULES =
      List.of(
          // harassment: insults and abuse aimed at the reader
          rule(
              "harassment",
              "\\byou(?:'re| are) (?:a |an |such a )?(?:worthless|pathetic|"
                  + "disgusting|useless|stupid|ugly|braindead)(?: piece of \\w+| waste of \\w+)?",
              0.6),
          rule("harassment", "\\b(?:nobody|no one) (?:likes|loves|wants|cares about) you\\b", 0.6),
          rule(
              "harassment",
              "\\byou (?:fucking |stupid |dumb )?(?:idiot|moron|loser|" + "imbecile|retard)s?\\b",
              0.55),
          rule("harassment", "\\b(?:kill yourself|kys|go die)\\b", 0.85),
          rule("harassment", "\\bi (?:hate|despise|loathe) you\\b", 0.4),
          rule(
              "harassment",
              "\\b(?:write|draft|compose) (?:a |an )?(?:insulting|abusive|"
                  + "humiliating|threatening) (?:message|letter|post|comment)",
              0.6),
          // hate: dehumanising a group, calls to remove it
          rule(
              "hate",
              "\\b(?:are|is|being) (?:all )?(?:subhuman|vermin|parasites|animals|"
                  + "an inferior race|a plague|cockroaches)\\b",
              0.7),
          rule(
              "hate",
              "\\b(?:exterminate|wipe out|eradicate|get rid of|deport) (?:all |every )"
                  + "(?:of )?(?:the |those )?\\w+(?: \\w+)? (?:people|race|immigrants|foreigners)",
              0.8),
          rule("hate", "\\binferior (?:race|races|people|ethnicity)\\b", 0.6),
          rule(
              "hate",
              "\\b(?:go back to your (?:own )?country|don't belong in (?:this|our) "
                  + "country)\\b",
              0.5),
          rule("hate", "\\bracial purity\\b|\\bethnic cleansing is\\b", 0.6),
          // self-harm: intent, and asking for a method
          rule(
              "self-harm",
              "\\bi (?:want|wanna|am going|'m going|plan|intend) to (?:kill "
                  + "myself|end my life|end it all|commit suicide|hurt myself|cut myself)",
              0.85),
          rule(
              "self-harm",
              "\\b(?:how (?:do|can|could|should) i|best way to|easiest way to|"
                  + "painless way to) (?:kill myself|end my life|commit suicide|die painlessly|"
                  + "overdose|hang myself)",
              0.9),
          rule("self-harm", "\\bsuicide methods?\\b|\\blethal dose of\\b", 0.55),
          rule("self-harm", "\\bi (?:don't|do not) want to (?:live|be alive) any ?more\\b", 0.6),
          // sexual: explicit content asked for
          rule(
              "sexual",
              "\\b(?:explicit|graphic|hardcore) (?:sex|sexual|porn\\w*|erotic\\w*)",
              0.75),
          rule(
              "sexual",
              "\\b(?:write|tell|describe|generate) (?:me )?(?:an? )?(?:erotic|"
                  + "sexual|smutty|nsfw|x-rated) (?:story|scene|roleplay|fantasy|chat)",
              0.75),
          rule("sexual", "\\b(?:nudes|naked (?:pictures|photos|pics)|porn(?:ography)?)\\b", 0.55),
          rule("sexual", "\\b(?:have|having) sex with\\b", 0.45),
          rule(
              "sexual",
              "\\b(?:sexual|erotic|nude)\\b.{0,40}\\b(?:child|children|minor|minors|"
                  + "underage|kid|kids|teen)\\b",
              0.95),
          // violence: threats, and asking how to hurt people or build weapons
          rule(
              "violence",
              "\\bi(?:'m| am)? (?:will|gonna|going to|am going to|'ll) (?:kill|"
                  + "murder|stab|shoot|strangle|beat up|hurt|attack) "
                  + PEOPLE,
              0.85),
          rule(
              "violence",
              "\\b(?:how (?:do|can|could|would|to) (?:i |you |one )?|best way to |"
                  + "ways to )(?:kill|murder|poison|stab|strangle|hurt|torture) "
                  + PEOPLE,
              0.85),
          rule(
              "violence",
              "\\b(?:make|build|assemble|construct) (?:a |an )?(?:pipe )?(?:bomb|"
                  + "explosive device|ied|molotov cocktail)",
              0.9),
          rule(
              "violence",
              "\\b(?:plan|carry out|commit) (?:a )?(?:mass shooting|massacre|"
                  + "terrorist attack)",
              0.9),
          rule("violence", "\\b(?:behead|dismember|torture) (?:him|her|them|the|people)\\b", 0.7),
          rule(
              "violence",
              "\\b(?:i want to|i'd like to) see (?:him|her|them) (?:die|bleed|suffer)",
              0.6),
          // illicit: instructions for crimes
          rule(
              "illicit",
              "\\b(?:how (?:do|can|to) (?:i )?|steps to |recipe (?:for|to) )"
                  + "(?:make|cook|synthesi[sz]e|produce|manufacture) (?:crystal )?(?:meth|"
                  + "methamphetamine|cocaine|heroin|fentanyl|lsd|mdma)",
              0.9),
          rule("illicit", "\\b(?:launder|laundering) (?:the |my |dirty )?money\\b", 0.6),
          rule(
              "illicit",
              "\\b(?:steal|clone|skim) (?:a |someone's |credit |debit )?(?:credit "
                  + "|debit )?cards?(?: numbers?)?\\b",
              0.7),
          rule(
              "illicit",
              "\\b(?:hotwire|break into|steal) (?:a |my neighbou?r's |someone's )"
                  + "(?:car|house|home|apartment)\\b",
              0.65),
          rule(
              "illicit",
              "\\b(?:write|create|build|code) (?:a |an |me a )?(?:working )?"
                  + "(?:ransomware|keylogger|credential stealer|botnet|phishing kit)\\b",
              0.75),
          rule("illicit", "\\b(?:untraceable|unregistered) (?:gun|firearm|weapon|poison)\\b", 0.7),
          rule(
              "illicit", "\\b(?:buy|sell|get) (?:drugs|cocaine|heroin|a gun|guns) without\\b", 0.6),
          rule(
              "illicit",
              "\\b(?:evade|avoid) (?:the )?(?:police|taxes|customs) (?:by|without "
                  + "getting caught)",
              0.55));

  private static Rule rule(String category, String regex, double weight) {
    return new Rule(
        category, Pattern.compile(regex, Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE), weight);
  }

  private LocalModerationRules() {}

  /** The verdict on these texts, read as one. */
  public static Verdict judge(List<String> texts) {
    String text = normalized(String.join("\n", texts));
    Map<String, Double> unlikely = new LinkedHashMap<>();
    CATEGORIES.forEach(category -> unlikely.put(category, 1.0));
    for (Rule rule : RULES) {
      if (rule.pattern().matcher(text).find()) {
        unlikely.merge(rule.category(), 1 - rule.weight(), (a, b) -> a * b);
      }
    }
    Map<String, Double> scores = new LinkedHashMap<>();
    List<String> flagged = new ArrayList<>();
    unlikely.forEach((category, chance) -> {
      double score = Math.round((1 - chance) * 10_000) / 10_000.0;
      scores.put(category, score);
      if (score >= FLAG_SCORE) {
        flagged.add(category);
      }
    });
    return new Verdict(!flagged.isEmpty(), CHECKER, flagged, scores);
  }

  /** Typographic apostrophes as ASCII, runs of white space as one space. */
  static String normalized(String text) {
    return text.replace('\u2019', '\'').replace('\u2018', '\'').replaceAll("\\s+", " ");
  }
}
