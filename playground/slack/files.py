"""Slack's external file upload as the playground plays it (slack-sdk's `files_upload_v2`):
`files.getUploadURLExternal` hands out an upload URL on this server, the bot POSTs the bytes
there, and `files.completeUploadExternal` shares the file in a channel — as a message whose
image block points back here, so the page shows the picture (the usage chart) without loading
anything from outside this machine.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass

from aiohttp import web

from playground.slack.errors import SlackError
from playground.slack.workspace import Workspace

#: Where uploaded files are served to the page (the image blocks point here).
FILES_PATH = "/playground-files/"
#: Slack refuses larger uploads on free workspaces; the playground keeps memory bounded too.
MAX_BYTES = 10 * 1024 * 1024


@dataclass
class Upload:
    id: str
    filename: str
    length: int
    alt_txt: str | None
    content: bytes | None = None


class PlaygroundFiles:
    def __init__(self, workspace: Workspace, base_url: str) -> None:
        self.workspace = workspace
        self.base_url = base_url
        self.uploads: dict[str, Upload] = {}
        self._ids = itertools.count(1)

    def add_routes(self, app: web.Application) -> None:
        app.router.add_post("/api/upload/{file_id}", self.receive)
        app.router.add_get(FILES_PATH + "{file_id}", self.serve)

    def upload_url(self, args: dict) -> dict:
        try:
            length = int(args["length"])
        except (KeyError, TypeError, ValueError):
            raise SlackError("invalid_arguments", "length is missing") from None
        if not args.get("filename") or not 0 < length <= MAX_BYTES:
            raise SlackError("invalid_arguments", "a filename and a length up to 10 MB")
        file_id = f"F{next(self._ids):09d}"
        self.uploads[file_id] = Upload(file_id, str(args["filename"]), length,
                                       args.get("alt_txt"))
        return {"upload_url": f"{self.base_url}/api/upload/{file_id}", "file_id": file_id}

    async def receive(self, request: web.Request) -> web.Response:
        upload = self.uploads.get(request.match_info["file_id"])
        if upload is None or upload.content is not None:
            return web.Response(status=404, text="invalid_upload")
        data = await request.content.read(MAX_BYTES + 1)
        if len(data) != upload.length:
            return web.Response(status=400, text="length_mismatch")
        upload.content = data
        return web.Response(text=f"OK - {len(data)}")

    def complete(self, args: dict) -> dict:
        raw = args.get("files")
        try:
            wanted = json.loads(raw) if isinstance(raw, str) else list(raw or [])
        except ValueError:
            raise SlackError("invalid_arguments", "files is not JSON") from None
        shared = []
        for item in wanted:
            upload = self.uploads.get(str(item.get("id", "")))
            if upload is None or upload.content is None:
                raise SlackError("file_not_found")
            shared.append((upload, item.get("title") or upload.filename))
        channel = args.get("channel_id")
        if channel:
            comment = str(args.get("initial_comment") or "")
            blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": comment}}] \
                if comment else []
            for upload, title in shared:
                blocks.append({"type": "image", "image_url": FILES_PATH + upload.id,
                               "alt_text": upload.alt_txt or title,
                               "title": {"type": "plain_text", "text": title}})
            self.workspace.post(channel, comment or shared[0][1], blocks,
                                thread_ts=args.get("thread_ts"))
        return {"files": [{"id": u.id, "title": t} for u, t in shared]}

    async def serve(self, request: web.Request) -> web.Response:
        upload = self.uploads.get(request.match_info["file_id"])
        if upload is None or upload.content is None:
            raise web.HTTPNotFound()
        kind = "image/png" if upload.content.startswith(b"\x89PNG") else "application/octet-stream"
        return web.Response(body=upload.content, content_type=kind)
