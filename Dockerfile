# One image for every Durafax process: `durafax web`, `durafax worker`, `durafax ui`, `durafax migrate`.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# npm install's postinstall step (scripts/ui.js install) installs the Temporal UI's own packages
# into ui/node_modules from ui/'s lockfile; they stay in this stage.
COPY scripts/ui.js ./scripts/
COPY ui/package.json ui/package-lock.json ./ui/
RUN npm install --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY views ./views
# The UI's sources by name: a checkout's own ui/node_modules or ui/build must not come along.
COPY ui/svelte.config.js ui/vite.config.js ui/vite.markdown.config.js ui/tailwind.config.js ui/postcss.config.js ./ui/
COPY ui/src ./ui/src
COPY ui/static ./ui/static
COPY ui/server ./ui/server
# Builds the code, the pages' script, the workflow bundle and the Temporal UI (ui/build).
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
# Only the built UI: `durafax ui` serves it from ui/build beside dist/ (src/ui/main.ts).
COPY --from=build /app/ui/build ./ui/build
COPY package.json ./
COPY bin ./bin
COPY views ./views
# The pages' stylesheet and images, served by `durafax web` beside dist/public (src/web/assets.ts).
COPY public ./public
USER node
ENTRYPOINT ["node", "dist/cli/index.js"]
CMD ["web"]
