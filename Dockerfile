# One image for every Durafax process: `durafax web`, `durafax worker`, `durafax migrate`.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# The postinstall step installs the Temporal UI's packages when ui/ exists; the image has none.
COPY scripts/ui.js ./scripts/
RUN npm install --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY views ./views
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
# LibreOffice converts office documents (DOCX, ODT, RTF, DOC); PDFs and images need nothing extra.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libreoffice-writer-nogui fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
COPY views ./views
USER node
ENTRYPOINT ["node", "dist/cli/index.js"]
CMD ["web"]
