# syntax=docker/dockerfile:1
# One image for all three roles of oauth-lab; docker-compose.yml picks the role
# per service with `command`. Build: docker build -t oauth-lab:local .

# ---- builder: every dependency, the TypeScript compiler, native addons ------
FROM node:20-bookworm-slim AS builder
# better-sqlite3 (STORE=sqlite) is a native addon: its install fetches a
# prebuilt binary where one exists for this Node and platform, and compiles
# it otherwise, which needs these. They stay in this stage: the runtime image
# gets the built addon, not the compiler.
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would run `npm run build` before src/ is here.
# This layer (every package) stays cached until the lockfile changes.
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
# The single-file build embeds the templates and assets.
COPY views ./views
COPY public ./public
# The install script that --ignore-scripts skipped, then the build, then only
# the production packages (better-sqlite3 built for this image among them).
RUN npm rebuild better-sqlite3 && npm run build && npm prune --omit=dev

# ---- runtime: production dependencies, compiled code, templates, assets ----
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json ./
# From the builder: no install here, so no compiler and no second download;
# the native addon was built against this same base image.
COPY --from=builder /app/node_modules ./node_modules
COPY --from=builder /app/dist ./dist
COPY views ./views
COPY public ./public
# The durable store's directory: a named volume mounted here takes this
# owner on first use, so the non-root user can write to it.
RUN mkdir -p /app/data && chown node:node /app/data
USER node
# Inside a container the servers must listen beyond loopback for published
# ports and the other services to reach them (docs/contract.md).
ENV HOST=0.0.0.0
EXPOSE 3000 9001 9002
# Healthchecks are per service in docker-compose.yml (each role has its own port).
# Default: all three roles in one container (`npm start`); compose runs one role each.
CMD ["node", "dist/start.js"]
