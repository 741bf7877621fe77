# One image for every app; docker-compose.yml picks the entry point per service.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY . .
RUN npm run build && npm prune --omit=dev --ignore-scripts

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# CSV export files: a volume shared by the workers that write them and the API that serves them.
RUN mkdir -p /exports && chown node:node /exports
ENV EXPORT_DIR=/exports
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --retries=5 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# A larger young generation for the processes that fold projections (worker, standalone, cli's
# rebuild): batches allocate heavily, and with V8's default 16 MB semi-spaces the scavenger ran
# often enough to cost a single catch-up runner a sixth to a quarter of its rate (docs/projections.md).
CMD ["node", "--max-semi-space-size=64", "dist/apps/standalone/main.js"]
