package io.moeserve.core.tokenizer;

import java.util.Arrays;
import java.util.List;

/**
 * Turns generated token ids into text as it streams: holds back an incomplete UTF-8 character
 * (decoded as U+FFFD) and any tail that could still become a stop sequence, and cuts the text
 * before the first stop sequence, which is never emitted (OpenAI semantics).
 */
public final class TextStream {
    private final Tokenizer tokenizer;
    private final List<String> stops;
    private int[] ids = new int[16];
    private int count;
    private int emitted;
    private String full = "";
    private boolean stopped;

    public TextStream(Tokenizer tokenizer, List<String> stops) {
        this.tokenizer = tokenizer;
        this.stops = stops;
    }

    /** Adds one token and returns the text that is now safe to show (often ""). */
    public String add(int token) {
        if (stopped) return "";
        if (count == ids.length) ids = Arrays.copyOf(ids, count * 2);
        ids[count++] = token;
        full = tokenizer.decode(ids, 0, count);
        int maxStop = stops.stream().mapToInt(String::length).max().orElse(0);
        int searchFrom = Math.max(0, emitted - maxStop);
        int cut = -1;
        for (String s : stops) {
            int i = full.indexOf(s, searchFrom);
            if (i >= 0 && (cut < 0 || i < cut)) cut = i;
        }
        if (cut >= 0) {
            stopped = true;
            return take(Math.max(emitted, cut));
        }
        int safe = full.length();
        while (safe > emitted && full.charAt(safe - 1) == '\uFFFD') safe--;
        int hold = 0;
        for (String s : stops) {
            for (int k = Math.min(s.length() - 1, safe - emitted); k > hold; k--) {
                if (full.regionMatches(safe - k, s, 0, k)) {
                    hold = k;
                    break;
                }
            }
        }
        return take(safe - hold);
    }

    /** At the end of generation: whatever was held back that turned out not to be a stop sequence. */
    public String flush() {
        if (stopped) return "";
        return take(full.length());
    }

    private String take(int end) {
        if (end <= emitted) return "";
        String s = full.substring(emitted, end);
        emitted = end;
        return s;
    }

    public boolean stopped() {
        return stopped;
    }

    /** Everything emitted so far. */
    public String text() {
        return full.substring(0, emitted);
    }
}
