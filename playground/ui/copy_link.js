export default function (component) {
  const { parentElement } = component;
  if (parentElement.querySelector("button")) return;
  const button = document.createElement("button");
  button.className = "gp-copy";
  button.textContent = "Copy link to this view";
  button.title = "The address reproduces this page and every setting that differs from its defaults.";
  const field = document.createElement("input");
  field.className = "gp-copy-field";
  field.readOnly = true;
  field.style.display = "none";
  button.onclick = async () => {
    const link = window.location.href;
    try {
      await navigator.clipboard.writeText(link);
      button.textContent = "✓ Link copied";
    } catch (error) {  // no clipboard outside https/localhost: show the link, selected, for Ctrl+C
      field.value = link;
      field.style.display = "inline-block";
      field.select();
    }
    setTimeout(() => { button.textContent = "Copy link to this view"; }, 2500);
  };
  parentElement.append(button, field);
}
