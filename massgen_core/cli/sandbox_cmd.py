"""``massgen sandbox build``: make the image ``command_line_execution_mode: docker`` runs commands in.

No registry is needed: the image is a Debian root file system made with debootstrap and loaded
with ``docker import`` (see :mod:`massgen_core.tools.sandbox.image`).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from ..plugin.options import DEFAULT_DOCKER_IMAGE
from .format import argument_parser


def main(argv: Sequence[str]) -> int:
    parser = argument_parser(
        prog="massgen sandbox",
        description=(
            "The container image for `command_line_execution_mode: docker`. "
            "`massgen sandbox build` makes it locally (as root; needs debootstrap and a Docker daemon)."
        ),
    )
    commands = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    build = commands.add_parser(
        "build",
        help="build the image from Debian packages and load it into the Docker daemon",
        description=(
            "Build the image execute_command runs in (command_line_execution_mode: docker): "
            "debootstrap --variant=minbase of Debian with python3, loaded with docker import. "
            "Takes one to three minutes (a 116 MB image); no image registry needed."
        ),
    )
    build.add_argument(
        "--tag", default=DEFAULT_DOCKER_IMAGE, help=f"image name (default {DEFAULT_DOCKER_IMAGE})"
    )
    build.add_argument("--suite", default=None, help="Debian release (default bookworm)")
    build.add_argument("--mirror", default=None, help="Debian mirror (default http://deb.debian.org/debian)")
    build.add_argument(
        "--package",
        "-p",
        action="append",
        default=[],
        metavar="NAME",
        help="an extra Debian package to install (repeatable), e.g. -p git -p python3-pip",
    )
    build.add_argument("--force", action="store_true", help="rebuild even when the image exists")
    args = parser.parse_args(argv)

    from ..tools.sandbox.docker import DockerUnavailable, connect
    from ..tools.sandbox.image import DEFAULT_MIRROR, DEFAULT_SUITE, BuildFailed, build_image

    try:
        if not args.force:
            client = connect()
            try:
                existing = client.images.list(name=args.tag)
            finally:
                client.close()
            if existing:
                print(f"{args.tag} is already built (use --force to rebuild)")
                return 0
        built = build_image(
            args.tag,
            suite=args.suite or DEFAULT_SUITE,
            mirror=args.mirror or DEFAULT_MIRROR,
            packages=args.package,
            progress=lambda line: print(line, file=sys.stderr, flush=True),
        )
    except (DockerUnavailable, BuildFailed) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"built {built.tag}: {built.size / 1e6:.0f} MB in {built.seconds:.0f} s")
    return 0
