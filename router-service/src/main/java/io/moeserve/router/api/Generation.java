package io.moeserve.router.api;

import io.moeserve.core.generate.FinishReason;
import io.moeserve.router.scheduler.GenerationHandle;
import io.moeserve.router.scheduler.GenerationRequest;
import io.moeserve.router.scheduler.OverloadedException;
import io.moeserve.router.scheduler.Scheduler;
import io.moeserve.router.scheduler.TokenSink;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The sequences (choices) of one API request in the scheduler, and the events they produce, merged
 * in arrival order. The scheduler thread only offers events to a bounded queue (it must never wait
 * on a client); the request's own (virtual) thread takes them. The bound holds every event a choice
 * can produce (max_tokens tokens + flush + finish + prompt logprobs), so it never fills up; if it
 * did, the request would be cancelled rather than the scheduler stalled.
 */
final class Generation implements AutoCloseable {
    sealed interface Event {
        int choice();
    }

    record PromptLogprobs(int choice, float[] logprobs) implements Event {
    }

    record TokenOut(int choice, TokenSink.Token token) implements Event {
    }

    record Finished(int choice, FinishReason reason, TokenSink.Usage usage) implements Event {
    }

    record Failed(int choice, RuntimeException error) implements Event {
    }

    /** Longest a request waits for its next event before it gives up (the scheduler is stuck). */
    private static final long EVENT_TIMEOUT_SECONDS = 600;

    private final BlockingQueue<Event> events;
    private final List<GenerationHandle> handles = new ArrayList<>();
    private int open;

    private Generation(int capacity) {
        this.events = new LinkedBlockingQueue<>(capacity);
    }

    /** Submits every request (choice i = requests[i]); all or none: a refusal cancels those already queued. */
    static Generation start(Scheduler scheduler, List<GenerationRequest> requests) {
        long capacity = requests.stream().mapToLong(r -> r.params().maxTokens() + 3L).sum();
        Generation g = new Generation((int) Math.min(Integer.MAX_VALUE, capacity));
        try {
            for (int i = 0; i < requests.size(); i++) {
                g.handles.add(scheduler.submit(requests.get(i), g.sink(i)));
                g.open++;
            }
        } catch (OverloadedException e) {
            g.cancel();
            throw ApiException.overloaded(e.getMessage(), e.retryAfterSeconds());
        } catch (RuntimeException e) {
            g.cancel();
            throw e;
        }
        return g;
    }

    private TokenSink sink(int choice) {
        return new TokenSink() {
            @Override
            public void onPromptLogprobs(float[] logprobs, List<List<TopLogprob>> top) {
                offer(new PromptLogprobs(choice, logprobs));
            }

            @Override
            public void onToken(Token token) {
                offer(new TokenOut(choice, token));
            }

            @Override
            public void onFinish(FinishReason reason, Usage usage) {
                offer(new Finished(choice, reason, usage));
            }

            @Override
            public void onError(RuntimeException error) {
                offer(new Failed(choice, error));
            }
        };
    }

    private void offer(Event e) {
        if (!events.offer(e)) {
            cancel();
            events.clear();
            events.offer(new Failed(e.choice(), new IllegalStateException("event queue overflow")));
        }
    }

    /** The next event; null once every choice has finished, or after a failure. */
    Event next() throws InterruptedException {
        if (open == 0) return null;
        Event e = events.poll(EVENT_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        if (e == null) {
            cancel();
            return new Failed(-1, new IllegalStateException("no progress for " + EVENT_TIMEOUT_SECONDS + " s"));
        }
        if (e instanceof Finished) open--;
        if (e instanceof Failed) {  // one choice failing fails the request: free the others' slots too
            open = 0;
            cancel();
        }
        return e;
    }

    int choices() {
        return handles.size();
    }

    /** Frees the batch slots of every choice (client gone, or the request failed). */
    void cancel() {
        for (GenerationHandle h : handles) h.cancel();
    }

    @Override
    public void close() {
        if (open > 0) cancel();
    }
}
