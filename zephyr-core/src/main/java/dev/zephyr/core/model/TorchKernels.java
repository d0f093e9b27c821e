package dev.zephyr.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.JniUtils;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Fused tensor kernels run by DJL's own libtorch as TorchScript: the bfloat16 matrix multiplies DJL cannot express
 * (any bfloat16 NDArray ends the JVM, but a bfloat16 tensor that lives and dies inside one TorchScript call is fine),
 * and the LM head's in-place softmax passes.
 *
 * <p>The kernels are source, {@code kernels.torchscript} beside this class, in the dialect libtorch compiles when it
 * loads a module; they are packed into a TorchScript archive in memory and loaded once per JVM. Methods run with
 * autograd recording whenever the calling thread's grad mode is on (DJL's own {@code runMethod} would switch it off),
 * so a bfloat16 product back-propagates float32 gradients into float32 inputs, as {@code torch.autocast} does.
 *
 * <p>Only float32 arrays go in and come out. Every call's native handles are closed before it returns; the results are
 * new arrays of the manager passed in (and of the current {@code NDScope}).
 */
public final class TorchKernels {
  private static final String SOURCE = "kernels.torchscript";
  private static final String CLASS = "ZephyrKernels";
  private static volatile TorchKernels instance;

  private final PtSymbolBlock module;
  private final Object library;
  private final Method runMethod;
  private final Constructor<IValue> ivalue;

  private TorchKernels(PtSymbolBlock module, Object library, Method runMethod, Constructor<IValue> ivalue) {
    this.module = module;
    this.library = library;
    this.runMethod = runMethod;
    this.ivalue = ivalue;
  }

  /** The process-wide kernels, compiled by libtorch on first use. */
  public static TorchKernels get() {
    TorchKernels k = instance;
    if (k == null) {
      synchronized (TorchKernels.class) {
        k = instance;
        if (k == null) {
          k = load();
          instance = k;
        }
      }
    }
    return k;
  }

  private static TorchKernels load() {
    String source;
    try (InputStream in = TorchKernels.class.getResourceAsStream(SOURCE)) {
      if (in == null) {
        throw new IllegalStateException(SOURCE + " missing from the zephyr-core jar");
      }
      source = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    try {
      // the module lives as long as the JVM: a manager of its own that nobody closes
      PtNDManager owner = (PtNDManager) NDManager.newBaseManager("PyTorch");
      PtSymbolBlock module = JniUtils.loadModule(owner, new ByteArrayInputStream(archive(source)), false, false);
      Class<?> lib = Class.forName("ai.djl.pytorch.jni.PyTorchLibrary");
      Field field = lib.getDeclaredField("LIB");
      field.setAccessible(true);
      Method run = lib.getDeclaredMethod("moduleRunMethod", long.class, String.class, long[].class, boolean.class,
          boolean.class);
      run.setAccessible(true);
      Constructor<IValue> ctor = IValue.class.getDeclaredConstructor(long.class);
      ctor.setAccessible(true);
      return new TorchKernels(module, field.get(null), run, ctor);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("this DJL PyTorch engine does not expose moduleRunMethod as 0.35 does", e);
    }
  }

  /**
   * The TorchScript archive libtorch expects: {@code data.pkl} (a pickled instance of the scripted class with its two
   * attributes), {@code constants.pkl} (an empty tuple), the code, and the format version, stored uncompressed.
   */
  static byte[] archive(String source) throws IOException {
    ByteArrayOutputStream pickle = new ByteArrayOutputStream();
    pickle.write(new byte[] {(byte) 0x80, 2, 'c'}); // protocol 2, GLOBAL
    pickle.write(("__torch__\n" + CLASS + "\n").getBytes(StandardCharsets.US_ASCII));
    pickle.write(new byte[] {'q', 0, ')', (byte) 0x81, '}', '('}); // NEWOBJ(), then a dict of attributes
    unicode(pickle, "training");
    pickle.write(new byte[] {'q', 1, (byte) 0x88}); // True
    unicode(pickle, "_is_full_backward_hook");
    pickle.write(new byte[] {'q', 2, 'N', 'u', 'b', 'q', 3, '.'}); // None, SETITEMS, BUILD, STOP
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (ZipOutputStream zip = new ZipOutputStream(out)) {
      stored(zip, "kernels/data.pkl", pickle.toByteArray());
      stored(zip, "kernels/code/__torch__.py", source.getBytes(StandardCharsets.UTF_8));
      stored(zip, "kernels/constants.pkl", new byte[] {(byte) 0x80, 2, ')', '.'});
      stored(zip, "kernels/version", "3\n".getBytes(StandardCharsets.US_ASCII));
    }
    return out.toByteArray();
  }

  private static void unicode(ByteArrayOutputStream pickle, String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    pickle.write('X'); // BINUNICODE, little-endian length
    pickle.write(new byte[] {(byte) b.length, (byte) (b.length >> 8), (byte) (b.length >> 16), (byte) (b.length >> 24)},
        0, 4);
    pickle.write(b, 0, b.length);
  }

  private static void stored(ZipOutputStream zip, String name, byte[] data) throws IOException {
    ZipEntry e = new ZipEntry(name);
    e.setMethod(ZipEntry.STORED);
    e.setSize(data.length);
    CRC32 crc = new CRC32();
    crc.update(data);
    e.setCrc(crc.getValue());
    zip.putNextEntry(e);
    zip.write(data);
    zip.closeEntry();
  }

  /** {@code x·wᵀ (+ b)}: x and w rounded to bfloat16, float32 accumulation and result, the bias added in float32. */
  public NDArray linearBf16(NDArray x, NDArray w, NDArray b) {
    return b == null ? call("linear_bf16", x.getManager(), x, w)[0]
        : call("linear_bias_bf16", x.getManager(), x, w, b)[0];
  }

  /**
   * A tensor kept on the native side only (a bfloat16 copy, which DJL cannot hold as an array), to pass to later
   * calls of {@link #call}; close it when done.
   */
  public static final class Held implements AutoCloseable {
    private final IValue value;

    private Held(IValue value) {
      this.value = value;
    }

    @Override
    public void close() {
      value.close();
    }
  }

  /** {@code w} rounded to bfloat16 once, for several calls that would each round it again. */
  public Held bf16Copy(NDArray w) {
    try (IValue in = ivalue(w)) {
      return new Held(run("to_bf16", new long[] {in.getHandle()}));
    }
  }

  private IValue run(String method, long[] handles) {
    try {
      return ivalue.newInstance((Long) runMethod.invoke(library, module.getHandle(), method, handles, true, false));
    } catch (java.lang.reflect.InvocationTargetException e) {
      Throwable cause = e.getCause();
      throw cause instanceof RuntimeException r ? r : new IllegalStateException(cause);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Runs kernel {@code method} on arrays, {@link Held} tensors, booleans, longs or doubles; returns its tensor (or
   * each tensor of its tuple) as arrays of {@code into}.
   */
  public NDArray[] call(String method, NDManager into, Object... args) {
    IValue[] in = new IValue[args.length];
    IValue out = null;
    try {
      long[] handles = new long[args.length];
      for (int i = 0; i < args.length; i++) {
        if (args[i] instanceof Held h) {
          handles[i] = h.value.getHandle();
          continue;
        }
        in[i] = ivalue(args[i]);
        handles[i] = in[i].getHandle();
      }
      out = run(method, handles);
      PtNDManager m = (PtNDManager) into;
      if (!out.isTuple()) {
        return new NDArray[] {out.toTensor(m)};
      }
      IValue[] parts = out.toIValueTuple();
      NDArray[] arrays = new NDArray[parts.length];
      for (int i = 0; i < parts.length; i++) {
        arrays[i] = parts[i].toTensor(m);
        parts[i].close();
      }
      return arrays;
    } finally {
      for (IValue v : in) {
        if (v != null) {
          v.close();
        }
      }
      if (out != null) {
        out.close();
      }
    }
  }

  private static IValue ivalue(Object arg) {
    if (arg instanceof PtNDArray a) {
      return IValue.from(a);
    }
    if (arg instanceof Boolean b) {
      return IValue.from(b);
    }
    if (arg instanceof Long || arg instanceof Integer) {
      return IValue.from(((Number) arg).longValue());
    }
    if (arg instanceof Double d) {
      return IValue.from(d);
    }
    throw new IllegalArgumentException("TorchScript kernels take PyTorch arrays, booleans and numbers, not "
        + (arg == null ? "null" : arg.getClass().getName()));
  }
}
