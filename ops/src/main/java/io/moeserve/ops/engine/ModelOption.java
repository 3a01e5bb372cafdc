package io.moeserve.ops.engine;

import picocli.CommandLine.Option;

import java.nio.file.Path;

/** The --model option shared by every command that loads a checkpoint. */
public final class ModelOption {
    @Option(names = "--model", paramLabel = "DIR", description = "Hugging Face model directory (default: ${DEFAULT-VALUE})",
            defaultValue = "models/tiny-moe")
    public Path model;

    @Option(names = "--int8-experts", description = "quantize expert weights to int8 (per-block scales)")
    public boolean int8Experts;
}
