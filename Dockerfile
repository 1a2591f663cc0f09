# kron as a single binary in an otherwise empty image.
#
#   docker build -t kron .
#   docker run --init -p 8080:8080 -v kron-data:/data -v ./jobs.ts:/etc/kron/jobs.ts:ro kron \
#     run /etc/kron/jobs.ts --allow-net=api.example.com --http 0.0.0.0:8080
#
# Stage 1 compiles dist/kron with exactly the permission flags of deno.json's `kron` task
# (`deno task compile`), then assembles the image root with scripts/scratch/files.sh: the
# binary, the shared libraries ldd finds for it, an empty /data. tests/scratch builds the same
# root from the same script and runs kron in it under chroot.
#
# What the empty image means for jobs:
# - No /bin/sh: `shell = true` jobs are refused at load with that reason; write commands as
#   words or argv arrays. Command jobs can only run programs you add to the image.
# - No ps and no readable /proc for kron: a tree left by a crash is not hunted down by start
#   time; in a container that does not matter, a crash of kron (PID 1) ends the container and
#   every process in it. Run with `--init` (Docker's tini) so orphaned grandchildren are reaped.
# - No /usr/share/zoneinfo: not needed, time zones come from the ICU data inside the binary.
# - No HEALTHCHECK: there is no shell or curl to run one. Probe GET /healthz instead (open, no
#   token): start kron with `--http 0.0.0.0:8080` and point the orchestrator's HTTP probe at
#   http://<container>:8080/healthz (`{"status":"ok"}`, or a 503 saying why).

ARG DENO_VERSION=2.9.6

FROM denoland/deno:debian-${DENO_VERSION} AS build
WORKDIR /src
COPY . .
RUN deno task compile \
 && sh scripts/scratch/files.sh dist/kron /out \
 && chown 65532:65532 /out/data

FROM scratch
COPY --from=build /out/ /
ENV KRON_DATA_DIR=/data
VOLUME ["/data"]
# A non-root user by number: the image has no /etc/passwd to name one.
USER 65532:65532
STOPSIGNAL SIGTERM
EXPOSE 8080
ENTRYPOINT ["/kron"]
CMD ["--help"]
