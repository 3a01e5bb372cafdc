# An image that only carries a model checkpoint, for clusters without a shared volume (the tiny overlay
# copies it into each router/expert pod with an init container). Build it with the model folder as context:
#   docker build -f ops/docker/model.Dockerfile -t moeserve/tiny-moe-model:0.1.0 models/tiny-moe
# Fine for small models; a big checkpoint belongs on the moeserve-model volume.
FROM busybox:1.37
COPY . /model/
