# whatworks: one image for the API, the Slack bot and the ingestion job.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    WHATWORKS_DATA_DIR=/data \
    WHATWORKS_CORPUS_DIR=/app/corpus

WORKDIR /app
# torch pinned to 2.13.0. Pass PyTorch's CPU wheel index as TORCH_INDEX_URL to keep the image small;
# without it pip takes the default (CUDA) build of the same version.
ARG TORCH_INDEX_URL=""
RUN pip install ${TORCH_INDEX_URL:+--index-url "$TORCH_INDEX_URL"} torch==2.13.0
COPY pyproject.toml README.md ./
COPY assistant ./assistant
COPY ingest ./ingest
COPY bots ./bots
RUN pip install . && whatworks export-onnx
COPY corpus ./corpus

RUN useradd --create-home --uid 10001 whatworks && mkdir -p /data && chown whatworks /data
USER whatworks
VOLUME ["/data"]
EXPOSE 8000
CMD ["whatworks", "serve", "--host", "0.0.0.0", "--port", "8000"]
