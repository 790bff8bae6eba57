"""Photos, documents and files as Bot API objects.

Telegram re-encodes photos into several sizes; the emulator keeps the uploaded bytes as a single
size (so ``photo[-1]`` and ``photo[0]`` both download exactly what was sent) and reads the width
and height from PNG, GIF or JPEG headers when it can (0 otherwise), without an imaging library.
"""

from __future__ import annotations

import mimetypes
import struct

from bot.emulator.state import JSON, FileRecord, World


def image_size(data: bytes) -> tuple[int, int]:
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return width, height
    if data[:4] == b"GIF8" and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return width, height
    if data[:2] == b"\xff\xd8":
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                i += 1
                continue
            marker = data[i + 1]
            length = struct.unpack(">H", data[i + 2:i + 4])[0]
            # SOF0..SOF15 carry the frame size, except DHT (C4), JPG (C8) and DAC (CC).
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                height, width = struct.unpack(">HH", data[i + 5:i + 9])
                return width, height
            i += 2 + length
    return 0, 0


def add_photo(world: World, data: bytes, file_name: str | None = None) -> FileRecord:
    return world.add_file(data, "photos", file_name=file_name or "photo.jpg",
                          mime_type=mimetypes.guess_type(file_name or "photo.jpg")[0])


def add_document(world: World, data: bytes, file_name: str | None,
                 mime_type: str | None = None) -> FileRecord:
    if not mime_type or mime_type == "application/octet-stream":
        mime_type = mimetypes.guess_type(file_name or "")[0] or "application/octet-stream"
    return world.add_file(data, "documents", file_name=file_name or "document",
                          mime_type=mime_type)


def photo_sizes(record: FileRecord) -> list[JSON]:
    width, height = image_size(record.data)
    return [{"file_id": record.file_id, "file_unique_id": record.file_unique_id,
             "width": width, "height": height, "file_size": len(record.data)}]


def document(record: FileRecord) -> JSON:
    data: JSON = {"file_id": record.file_id, "file_unique_id": record.file_unique_id,
                  "file_size": len(record.data)}
    if record.file_name:
        data["file_name"] = record.file_name
    if record.mime_type:
        data["mime_type"] = record.mime_type
    return data


def file_object(record: FileRecord) -> JSON:
    return {"file_id": record.file_id, "file_unique_id": record.file_unique_id,
            "file_size": len(record.data), "file_path": record.file_path}
