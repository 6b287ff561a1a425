# One image for every service; the command picks it: `serve leads`, `consume payments`, `migrate`, `topics`.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY shared ./shared
COPY services ./services
RUN pip install --no-cache-dir --prefix=/install .

FROM python:3.11-slim
# issue 24: printed receipts (收据) are drawn in a CJK TrueType font Debian ships, found at run time
RUN apt-get update && apt-get install -y --no-install-recommends fonts-wqy-zenhei && rm -rf /var/lib/apt/lists/*
RUN useradd --system --uid 10001 --no-create-home estate
COPY --from=build /install /usr/local
ENV PYTHONUNBUFFERED=1 ESTATE_HOST=0.0.0.0 ESTATE_WEBHOOK_ALLOW_PRIVATE=false
USER 10001
EXPOSE 8001 8002 8003 8004 9100
ENTRYPOINT ["estate"]
CMD ["serve", "inventory"]
