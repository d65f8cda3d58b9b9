// Opens an image with ImageJ 1 (headless) and prints what ImageJ sees, one key=value a line:
// dimensions, bit depth, calibration, the sum of all raw pixel values, and the raw value at
// each "t,z,y,x" position given after the path (0-based).
import ij.IJ;
import ij.ImagePlus;
import ij.ImageStack;
import ij.measure.Calibration;
import ij.process.ImageProcessor;

public class IjInfo {
    public static void main(String[] args) {
        ImagePlus imp = IJ.openImage(args[0]);
        if (imp == null) {
            System.out.println("error=ImageJ could not open " + args[0]);
            System.exit(1);
        }
        Calibration c = imp.getCalibration();
        System.out.println("version=" + IJ.getVersion());
        System.out.println("width=" + imp.getWidth());
        System.out.println("height=" + imp.getHeight());
        System.out.println("channels=" + imp.getNChannels());
        System.out.println("slices=" + imp.getNSlices());
        System.out.println("frames=" + imp.getNFrames());
        System.out.println("bitdepth=" + imp.getBitDepth());
        System.out.println("unit=" + c.getUnit());
        System.out.println("pixelwidth=" + c.pixelWidth);
        System.out.println("pixelheight=" + c.pixelHeight);
        System.out.println("pixeldepth=" + c.pixelDepth);
        System.out.println("frameinterval=" + c.frameInterval);
        System.out.println("timeunit=" + c.getTimeUnit());
        ImageStack stack = imp.getStack();
        double sum = 0;
        for (int i = 1; i <= stack.getSize(); i++) {
            ImageProcessor ip = stack.getProcessor(i);
            for (int y = 0; y < ip.getHeight(); y++)
                for (int x = 0; x < ip.getWidth(); x++)
                    sum += ip.getf(x, y);
        }
        System.out.println("sum=" + sum);
        for (int k = 1; k < args.length; k++) {
            String[] p = args[k].split(",");
            int t = Integer.parseInt(p[0]), z = Integer.parseInt(p[1]);
            int y = Integer.parseInt(p[2]), x = Integer.parseInt(p[3]);
            ImageProcessor ip = stack.getProcessor(imp.getStackIndex(1, z + 1, t + 1));
            System.out.println("value[" + args[k] + "]=" + ip.getf(x, y));
        }
    }
}
