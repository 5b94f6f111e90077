/**
 * Line plots written as PNG files with the JDK alone (Java2D, headless, javax.imageio): linear or log-log
 * axes with readable ticks, named series with markers and a legend, dashed reference lines and labelled
 * vertical markers. {@link org.tensorattention.plot.LinePlot} draws one plot; {@link
 * org.tensorattention.plot.Panels} sets several side by side in one image.
 */
package org.tensorattention.plot;
