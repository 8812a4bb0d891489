# tickflow in a container: built on the full Debian image, which has the
# compilers the native addons need, and run on the slim one as the
# unprivileged `node` user. test/e2e/docker-steps.test.ts replays these build and
# start steps on a clean copy of the repository, so keep each step a plain
# RUN/COPY/ENV line that it can follow.
#
#   docker build -t tickflow .
#   docker run --init -p 9001:9001 -v tickflow-data:/data \
#     -v "$PWD/tokens.json:/run/secrets/tokens.json:ro" \
#     -e TICKFLOW_TOKEN_FILE=/run/secrets/tokens.json tickflow
#
# docs/operations.md has the rest: tokens, pinning, volumes, upgrades.

FROM node:20-bookworm AS build
WORKDIR /src
COPY . .
# npm ci builds everything (prepare): the CPU-affinity addon, better-sqlite3
# from source, the TypeScript and the dashboard.
RUN npm ci --no-audit --no-fund
RUN npm prune --omit=dev --no-audit --no-fund
# uWebSockets.js ships its addon for every platform and Node ABI (~100 MiB);
# keep the one this image runs, and fail here if it is not there (the package
# would otherwise fall back to a slow JavaScript server at run time).
RUN keep="uws_$(node -p 'process.platform + "_" + process.arch + "_" + process.versions.modules').node" && test -f "node_modules/uWebSockets.js/binaries/$keep" && find node_modules/uWebSockets.js -name 'uws_*.node' ! -name "$keep" -delete

FROM node:20-bookworm-slim AS runtime
# Configuration is TICKFLOW_* variables. Without TICKFLOW_TOKEN_FILE (a
# mounted file of token hashes) the server listens on the container's
# loopback only (docs/protocol.md, Authentication).
ENV NODE_ENV=production
ENV TICKFLOW_DB=/data/tickflow.db
ENV TICKFLOW_LOG_FORMAT=json
WORKDIR /app
COPY --from=build /src/package.json ./package.json
COPY --from=build /src/bin ./bin
COPY --from=build /src/dist/src ./dist/src
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/native/build/Release/tickflow_native.node ./native/build/Release/tickflow_native.node
COPY --from=build /src/dashboard/dist ./dashboard/dist
COPY --from=build /src/deploy/healthcheck.js ./deploy/healthcheck.js
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME /data
EXPOSE 9001
# The slim image has no curl: node asks /health itself, on the port and
# scheme the configuration (TICKFLOW_* variables, config file) gives.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 CMD ["node", "deploy/healthcheck.js"]
# Exec form: node is PID 1 and gets SIGTERM itself, which drains the server
# (open windows become final and are delivered) before it exits. Give it time:
# docker stop -t 30. Run with --init to have zombies reaped.
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "bin/tickflow.js"]
CMD ["serve"]
