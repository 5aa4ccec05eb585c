// Opt-in prelude for the pooling shaders (DispatchSpec.prelude 'pool'): the plan bound at 0 and the index
// math they share. Forward shaders run one thread per output cell over its window clipped to the input
// (outputWindow); gradient shaders run one thread per input cell over the windows that cover it
// (coveringWindows), so each dx cell is written once and no atomics are needed.

@group(0) @binding(0) var<uniform> p: Pool2dPlan;

// Cells of y (and dy) and of x (and dx).
fn outputCells() -> i32 {
  return p.batch * p.channels * p.outHeight * p.outWidth;
}

fn inputCells() -> i32 {
  return p.batch * p.channels * p.inHeight * p.inWidth;
}

// The window of output cell (oh, ow) in one plane: its unclipped top-left corner (hs, ws), negative in the
// padding, and the rows [h0, h1) and columns [w0, w1) of it inside the input; base is the plane's offset in x.
struct PoolWindow {
  base: i32,
  hs: i32,
  ws: i32,
  h0: i32,
  h1: i32,
  w0: i32,
  w1: i32,
}

fn windowAt(plane: i32, oh: i32, ow: i32) -> PoolWindow {
  let hs = oh * p.strideHeight - p.padTop;
  let ws = ow * p.strideWidth - p.padLeft;
  return PoolWindow(plane * p.inHeight * p.inWidth, hs, ws, max(hs, 0), min(hs + p.windowHeight, p.inHeight),
                    max(ws, 0), min(ws + p.windowWidth, p.inWidth));
}

// The window of flat output cell i (batch, channel, row, column order).
fn outputWindow(i: i32) -> PoolWindow {
  let ow = i % p.outWidth;
  let oh = (i / p.outWidth) % p.outHeight;
  return windowAt(i / (p.outWidth * p.outHeight), oh, ow);
}

// Input cell (ih, iw) of flat index i and the output rows [oh0, oh1] and columns [ow0, ow1] whose windows cover
// it: oh * stride - padTop <= ih < oh * stride - padTop + window. The lower bounds divide a value that may be
// negative, where WGSL truncates toward 0 instead of flooring; max(0, ...) clamps exactly those cases.
// plane is the cell's plane index, j its offset in the plane, obase the plane's offset in y.
struct PoolCover {
  plane: i32,
  j: i32,
  ih: i32,
  iw: i32,
  oh0: i32,
  oh1: i32,
  ow0: i32,
  ow1: i32,
  obase: i32,
}

fn coveringWindows(i: i32) -> PoolCover {
  let hw = p.inHeight * p.inWidth;
  let plane = i / hw;
  let j = i - plane * hw;
  let ih = j / p.inWidth;
  let iw = j - ih * p.inWidth;
  return PoolCover(plane, j, ih, iw,
                   max(0, (ih + p.padTop - p.windowHeight + p.strideHeight) / p.strideHeight),
                   min(p.outHeight - 1, (ih + p.padTop) / p.strideHeight),
                   max(0, (iw + p.padLeft - p.windowWidth + p.strideWidth) / p.strideWidth),
                   min(p.outWidth - 1, (iw + p.padLeft) / p.strideWidth),
                   plane * p.outHeight * p.outWidth);
}
