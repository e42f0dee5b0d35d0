# The tools image the Kubernetes target's Jobs run (docs/kubernetes.md): this repository's scripts
# with their dependencies, nothing else. Built and pushed by `npm run tools-image`.
FROM node:24.22.3-bookworm-slim
WORKDIR /app
# Installed from the lockfile alone, so a change to the scripts reuses this layer. Runtime dependencies
# only (tsx runs the scripts), and no install scripts: the Pulumi packages' would fetch provider plugins
# the Jobs never use.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY tsconfig.json ./
COPY core/ core/
COPY scripts/ scripts/
COPY migrations/ migrations/
COPY metadata/ metadata/
COPY seeds/ seeds/
# What this image holds (core/tools-content.ts), which each step Job compares with the deploy's.
ARG TOOLS_CONTENT
RUN test -n "$TOOLS_CONTENT" && echo "$TOOLS_CONTENT" > /app/tools-content
# The node image's unprivileged user; the Jobs run as uid 1000.
USER 1000:1000
