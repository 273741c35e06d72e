# syntax=docker/dockerfile:1
# One image for all three roles of oauth-lab; docker-compose.yml picks the role
# per service with `command`. Build: docker build -t oauth-lab:local .

# ---- builder: dev dependencies and the TypeScript compiler ------------------
FROM node:20-bookworm-slim AS builder
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would run `npm run build` before src/ is here.
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
RUN npm run build

# ---- runtime: production dependencies, compiled code, templates, assets ----
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: no `prepare` (it would need tsc, a dev dependency).
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
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
