package io.moeserve.router.scheduler;

/** A submitted request; cancel() frees its batch slot at the next step (client went away). */
public interface GenerationHandle {
    void cancel();

    boolean isDone();
}
