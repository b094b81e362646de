# The homehabits add-on, and the image Home Assistant Container users run on its own.
#
# The build context is this repository's root, as the Supervisor sees it: it builds an add-on
# in the folder of its config.yaml, which is here, so the image installs homehabits from the
# source tree of the very clone it builds from (no wheel, no published image, no second
# address). BUILD_FROM is Home Assistant's Debian base (build.yaml); any Debian bookworm
# image works, and plain `docker build .` takes debian:bookworm-slim.
ARG BUILD_FROM=debian:bookworm-slim
FROM ${BUILD_FROM}

# Debian's Python 3.11, unless the base image has it already
RUN if ! command -v python3 >/dev/null || ! python3 -c "import venv, ensurepip" 2>/dev/null; then \
        apt-get update \
        && apt-get install -y --no-install-recommends python3 python3-venv ca-certificates \
        && rm -rf /var/lib/apt/lists/*; \
    fi

# homehabits' source (what .dockerignore lets in), installed with the versions of
# requirements.lock as constraints: the runtime packages the tests ran with, none of the test
# tools. addon/wheels/ is empty in the repository; addon/offline_wheels.sh fills it for a
# build that cannot reach PyPI (it is then the only index).
COPY pyproject.toml README.md requirements.lock /tmp/homehabits/
COPY src/ /tmp/homehabits/src/
COPY addon/wheels/ /tmp/wheels/
RUN python3 -m venv /opt/homehabits \
    && grep -E '^[A-Za-z0-9_.-]+==' /tmp/homehabits/requirements.lock | sed 's/ *\\$//' \
        > /tmp/constraints.txt \
    && index=""; if ls /tmp/wheels/*.whl >/dev/null 2>&1; then \
        index="--no-index --find-links /tmp/wheels"; fi \
    && /opt/homehabits/bin/pip install --no-cache-dir --disable-pip-version-check $index \
        --constraint /tmp/constraints.txt /tmp/homehabits \
    && /opt/homehabits/bin/homehabits --help >/dev/null \
    && rm -rf /tmp/homehabits /tmp/wheels /tmp/constraints.txt

COPY addon/run /run.sh
RUN chmod a+x /run.sh

ENV PYTHONUNBUFFERED=1
EXPOSE 8018
VOLUME ["/data"]
HEALTHCHECK --interval=60s --timeout=10s --start-period=60s \
    CMD /opt/homehabits/bin/python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8018/health', timeout=5)"
CMD ["/run.sh"]

LABEL io.hass.type="addon" io.hass.name="homehabits"
