package io.moeserve.gateway.auth;

import java.util.List;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ApiKeyDigestsTest {

    @Test
    void sha256Hex_matchesTheKnownDigest() {
        // echo -n abc | sha256sum
        assertThat(ApiKeyDigests.hex(ApiKeyDigests.sha256("abc")))
                .isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    @Test
    void configuredKey_matchesOnlyItself() {
        ApiKeyDigests keys = ApiKeyDigests.of(List.of("sk-alpha", "sk-beta"), List.of());
        assertThat(keys.contains(ApiKeyDigests.sha256("sk-alpha"))).isTrue();
        assertThat(keys.contains(ApiKeyDigests.sha256("sk-beta"))).isTrue();
        assertThat(keys.contains(ApiKeyDigests.sha256("sk-alph"))).isFalse();    // prefix
        assertThat(keys.contains(ApiKeyDigests.sha256("sk-alphaa"))).isFalse();  // extension
        assertThat(keys.contains(ApiKeyDigests.sha256("SK-ALPHA"))).isFalse();   // case
        assertThat(keys.contains(ApiKeyDigests.sha256(""))).isFalse();
        assertThat(keys.contains(new byte[0])).isFalse();                        // wrong length never matches
    }

    @Test
    void digestConfiguredInHex_acceptsThePlaintextKey() {
        String hex = ApiKeyDigests.hex(ApiKeyDigests.sha256("sk-only-digest-known")).toUpperCase();
        ApiKeyDigests keys = ApiKeyDigests.of(List.of(), List.of(hex));
        assertThat(keys.contains(ApiKeyDigests.sha256("sk-only-digest-known"))).isTrue();
        assertThatThrownBy(() -> ApiKeyDigests.of(List.of(), List.of("abcd"))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void comparison_isConstantTimeOverEveryStoredDigest() {
        // The match must not short-circuit: a digest equal to the FIRST entry and one equal to the LAST
        // go through the same number of MessageDigest.isEqual calls. Checked structurally: a key
        // matching entry 0 still matches when 999 other digests follow it, and vice versa.
        var many = new java.util.ArrayList<String>();
        many.add("sk-first");
        for (int i = 0; i < 998; i++) {
            many.add("sk-filler-" + i);
        }
        many.add("sk-last");
        ApiKeyDigests keys = ApiKeyDigests.of(many, List.of());
        assertThat(keys.contains(ApiKeyDigests.sha256("sk-first"))).isTrue();
        assertThat(keys.contains(ApiKeyDigests.sha256("sk-last"))).isTrue();

        // and timing: matching the first vs the last entry vs nothing costs about the same
        byte[] first = ApiKeyDigests.sha256("sk-first");
        byte[] last = ApiKeyDigests.sha256("sk-last");
        byte[] none = ApiKeyDigests.sha256("sk-nobody");
        long tFirst = Long.MAX_VALUE;
        long tLast = Long.MAX_VALUE;
        long tNone = Long.MAX_VALUE;
        for (int round = 0; round < 200; round++) {
            tFirst = Math.min(tFirst, time(keys, first));
            tLast = Math.min(tLast, time(keys, last));
            tNone = Math.min(tNone, time(keys, none));
        }
        // an early-exit loop would make "first" ~1000x cheaper than "none"; allow generous noise
        assertThat((double) tFirst / tNone).isGreaterThan(0.3);
        assertThat((double) tLast / tNone).isGreaterThan(0.3);
    }

    private static long time(ApiKeyDigests keys, byte[] digest) {
        long t0 = System.nanoTime();
        keys.contains(digest);
        return System.nanoTime() - t0;
    }

    @Test
    void bearerKey_isParsedCaseInsensitivelyAndTrimmed() {
        assertThat(ApiKeyFilter.bearerKey("Bearer sk-1")).isEqualTo("sk-1");
        assertThat(ApiKeyFilter.bearerKey("bearer   sk-1  ")).isEqualTo("sk-1");
        assertThat(ApiKeyFilter.bearerKey("Basic sk-1")).isNull();
        assertThat(ApiKeyFilter.bearerKey("Bearer ")).isNull();
        assertThat(ApiKeyFilter.bearerKey(null)).isNull();
    }

    @Test
    void redisValue_isANameOrJsonWithPerKeyBudgets() {
        assertThat(ApiKeyStore.parse("d", "alice")).isEqualTo(new ApiKeyIdentity("d", "alice", null, null));
        assertThat(ApiKeyStore.parse("d", "{\"name\":\"bob\",\"requests_per_minute\":5,\"tokens_per_minute\":900}"))
                .isEqualTo(new ApiKeyIdentity("d", "bob", 5L, 900L));
        assertThat(ApiKeyStore.parse("d", "{broken")).isEqualTo(new ApiKeyIdentity("d", "redis", null, null));
    }
}
