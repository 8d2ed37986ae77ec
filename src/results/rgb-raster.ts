/**
 * A small RGB raster for the summary image: filled rectangles, thick lines (Bresenham with a square brush), closed
 * polygon outlines and bitmap text. 8 bits per sample, colour-by-pixel (R,G,B,R,G,B…): the layout of DICOM Pixel
 * Data with Photometric Interpretation RGB and Planar Configuration 0 (PS3.3 C.7.6.3.1.3), so the bytes go into
 * the dataset as they are. Everything outside the raster is clipped.
 */
import { ADVANCE_X, GLYPH_HEIGHT, GLYPH_WIDTH, glyphFor, glyphPixel } from './bitmap-font.js';

export type Rgb = readonly [number, number, number];

export class RgbRaster {
  readonly data: Uint8Array;

  constructor(
    readonly width: number,
    readonly height: number,
    background: Rgb = [0, 0, 0],
  ) {
    if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) throw new RangeError(`raster size ${width}×${height}`);
    this.data = new Uint8Array(width * height * 3);
    this.fillRect(0, 0, width, height, background);
  }

  setPixel(x: number, y: number, c: Rgb): void {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    const i = (y * this.width + x) * 3;
    this.data[i] = c[0];
    this.data[i + 1] = c[1];
    this.data[i + 2] = c[2];
  }

  pixel(x: number, y: number): Rgb {
    const i = (y * this.width + x) * 3;
    return [this.data[i] ?? 0, this.data[i + 1] ?? 0, this.data[i + 2] ?? 0];
  }

  fillRect(x: number, y: number, w: number, h: number, c: Rgb): void {
    const x0 = Math.max(0, Math.floor(x));
    const y0 = Math.max(0, Math.floor(y));
    const x1 = Math.min(this.width, Math.floor(x + w));
    const y1 = Math.min(this.height, Math.floor(y + h));
    for (let yy = y0; yy < y1; yy++) for (let xx = x0; xx < x1; xx++) this.setPixel(xx, yy, c);
  }

  /** Bresenham's line from (x0, y0) to (x1, y1), each point stamped with a `thickness`-wide square brush. */
  drawLine(x0: number, y0: number, x1: number, y1: number, c: Rgb, thickness = 1): void {
    let x = Math.round(x0);
    let y = Math.round(y0);
    const xe = Math.round(x1);
    const ye = Math.round(y1);
    const dx = Math.abs(xe - x);
    const dy = -Math.abs(ye - y);
    const sx = x < xe ? 1 : -1;
    const sy = y < ye ? 1 : -1;
    const half = Math.floor((thickness - 1) / 2);
    let err = dx + dy;
    for (;;) {
      this.fillRect(x - half, y - half, thickness, thickness, c);
      if (x === xe && y === ye) return;
      const e2 = 2 * err;
      if (e2 >= dy) {
        err += dy;
        x += sx;
      }
      if (e2 <= dx) {
        err += dx;
        y += sy;
      }
    }
  }

  /** The closed outline through `points` (the last joins the first); one point is a dot, none draws nothing. */
  drawPolygon(points: ReadonlyArray<readonly [number, number]>, c: Rgb, thickness = 1): void {
    points.forEach((p, i) => {
      const q = points[(i + 1) % points.length] as readonly [number, number];
      this.drawLine(p[0], p[1], q[0], q[1], c, thickness);
    });
  }

  /** Draws `text` with its top-left at (x, y), each font pixel a `scale`×`scale` square. */
  drawText(x: number, y: number, text: string, scale: number, c: Rgb): void {
    let left = x;
    for (const ch of text) {
      const glyph = glyphFor(ch);
      for (let row = 0; row < GLYPH_HEIGHT; row++) {
        for (let col = 0; col < GLYPH_WIDTH; col++) if (glyphPixel(glyph, col, row)) this.fillRect(left + col * scale, y + row * scale, scale, scale, c);
      }
      left += ADVANCE_X * scale;
    }
  }

  /** Copies a grey [0, 1] or RGB [0, 1] image (`channels` interleaved) of `w`×`h` with its top-left at (x, y). */
  blit(x: number, y: number, w: number, h: number, values: Float32Array, channels: 1 | 3): void {
    if (values.length < w * h * channels) throw new RangeError(`image of ${values.length} values is smaller than ${w}×${h}×${channels}`);
    for (let r = 0; r < h; r++) {
      for (let col = 0; col < w; col++) {
        const k = (r * w + col) * channels;
        const v = (j: number): number => Math.round(Math.min(1, Math.max(0, values[k + j] ?? 0)) * 255);
        this.setPixel(x + col, y + r, channels === 1 ? [v(0), v(0), v(0)] : [v(0), v(1), v(2)]);
      }
    }
  }
}
