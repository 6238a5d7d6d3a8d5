# syntax=docker/dockerfile:1.7
# microBazaar images. One target per service, named after it (deploy/services.json):
#   docker build --target product -t microbazaar/product:<version> .
# and `platform`: every service in one process (`npm run start:prod`), also the image of the one-shot
# migrate + broker topology job. Built from the lock file; a final stage holds its service's bundle, the files
# beside it and the production dependencies of its own workspaces, runs as `node`, and has no secrets and no
# .data (.dockerignore). Every RUN works from WORKDIR with relative paths: deploy/test/docker.test.ts runs the
# stages of a target natively, command by command, so a file or dependency missing from an image fails
# `npm test`.

# Debian bookworm (glibc): sharp and @node-rs/argon2 install their prebuilt linux-x64-gnu binaries from npm.
# Pin by digest in your registry mirror if you need byte-for-byte rebuilds (node:20.20.2-bookworm-slim@sha256:...).
ARG NODE_IMAGE=node:20.20.2-bookworm-slim

FROM ${NODE_IMAGE} AS base
ENV NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false
WORKDIR /app

# The package manifests, the lock and patches/ alone, so the dependency layers stay cached until one changes.
FROM base AS manifests
WORKDIR /src
COPY . .
RUN mkdir -p ../manifests \
 && cp package.json package-lock.json ../manifests/ \
 && cp -r patches ../manifests/ \
 && { [ ! -f .npmrc ] || cp .npmrc ../manifests/; } \
 && find packages services apps -mindepth 2 -maxdepth 2 -name package.json -exec cp --parents -t ../manifests/ {} +

# Everything from the lock (dev tools included), then `npm run build`: a bundle per service (esbuild), the
# platform, the operator scripts and the web app (Vite). ../out is what the runtime stages may copy: each
# workspace without its sources and tests (dist/, migrations/, templates/, the assistant's faq.md, ...), and
# scripts/dist.
FROM base AS build
COPY --from=manifests /manifests/ ./
RUN --mount=type=cache,target=/root/.npm npm ci
COPY . .
RUN npm run build \
 && mkdir -p apps/web/dist ../out/scripts \
 && cp package.json package-lock.json ../out/ \
 && cp -r patches ../out/ \
 && cp -r scripts/dist ../out/scripts/ \
 && for ws in packages/* services/* apps/*; do \
      mkdir -p "../out/$ws" \
      && find "$ws" -mindepth 1 -maxdepth 1 ! -name src ! -name test ! -name node_modules ! -name '*.ts' ! -name '*.tsx' \
           ! -name 'tsconfig*.json' -exec cp -r -t "../out/$ws/" {} + ; \
    done

# What every runtime image shares: production mode, the manifests to install from, drain on SIGTERM, health.
# The images run as uid 1000 (the base image's `node` user), numeric so Kubernetes can verify runAsNonRoot.
FROM base AS runtime
ENV NODE_ENV=production DATA_DIR=/data
COPY --from=manifests /manifests/ ./
RUN mkdir -p ../data && chown 1000:1000 ../data
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT}/health/live`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

FROM runtime AS gateway
# apps/web: the server-side renderer of the web app imports react, react-router and react-query at run time
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --include-workspace-root -w packages/contracts -w packages/kit -w services/gateway -w apps/web
COPY --from=build /out/packages/ ./packages/
COPY --from=build /out/services/gateway/ ./services/gateway/
COPY --from=build /out/apps/web/ ./apps/web/
ENV PORT=8080 WEB_DIR=apps/web/dist
EXPOSE 8080
USER 1000:1000
CMD ["node", "--max-semi-space-size=4", "services/gateway/dist/main.js"]

FROM runtime AS auth
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --include-workspace-root -w packages/contracts -w packages/kit -w services/auth
COPY --from=build /out/packages/ ./packages/
COPY --from=build /out/services/auth/ ./services/auth/
ENV PORT=3000
EXPOSE 3000
USER 1000:1000
CMD ["node", "--max-semi-space-size=4", "services/auth/dist/main.js"]

FROM runtime AS product
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --include-workspace-root -w packages/contracts -w packages/kit -w services/product
COPY --from=build /out/packages/ ./packages/
COPY --from=build /out/services/product/ ./services/product/
ENV PORT=3001
EXPOSE 3001
USER 1000:1000
CMD ["node", "--max-semi-space-size=4", "services/product/dist/main.js"]

FROM runtime AS cart
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --include-workspace-root -w packages/contracts -w packages/kit -w services/cart
COPY --from=build /out/packages/ ./packages/
COPY --from=build /out/services/cart/ ./services/cart/
ENV PORT=3002
EXPOSE 3002
USER 1000:1000
CMD ["node", "--max-semi-space-size=4", "services/cart/dist/main.js"]

FROM runtime AS order
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --include-workspace-root -w packages/contracts -w packages/kit -w services/order
COPY --from=build /out/packages/ ./packages/
COPY --from=build /out/services/order/ ./services/order/
ENV PORT=3003
EXPOSE 3003
USER 1000:1000
CMD ["node", "--max-semi-space-size=4", "services/order/dist/main.js"]

FROM runtime AS payment
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --include-workspace-root -w packages/contracts -w packages/kit -w services/payment
COPY --from=build /out/packages/ ./packages/
COPY --from=build /out/services/payment/ ./services/payment/
ENV PORT=3004
EXPOSE 3004
USER 1000:1000
CMD ["node", "--max-semi-space-size=4", "services/payment/dist/main.js"]

FROM runtime AS notification
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --include-workspace-root -w packages/contracts -w packages/kit -w services/notification
COPY --from=build /out/packages/ ./packages/
COPY --from=build /out/services/notification/ ./services/notification/
ENV PORT=3005
EXPOSE 3005
USER 1000:1000
CMD ["node", "--max-semi-space-size=4", "services/notification/dist/main.js"]

FROM runtime AS assistant
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --include-workspace-root -w packages/contracts -w packages/kit -w services/assistant
COPY --from=build /out/packages/ ./packages/
COPY --from=build /out/services/assistant/ ./services/assistant/
ENV PORT=3006
EXPOSE 3006
USER 1000:1000
CMD ["node", "--max-semi-space-size=4", "services/assistant/dist/main.js"]

# Every service in one process on PGlite under /data (mount a volume there), or on real backends through
# DATABASE_URL, REDIS_URL and RABBITMQ_URL. Also the deploy job: node scripts/dist/migrate.js, then
# node scripts/dist/events.js topology declare.
FROM runtime AS platform
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev
COPY --from=build /out/ ./
ENV PORT=8080 WEB_DIR=apps/web/dist
EXPOSE 8080
USER 1000:1000
CMD ["node", "--max-semi-space-size=4", "apps/platform/dist/main.js"]
